import { isHangarError } from '../core/errors.js';
import type { HangarClient } from '../client/index.js';
import { COMPLIANCE_RULES, type ComplianceCheck } from './compliance.js';
import { GATE_RESULT_ARTIFACT, type GateResult, type GateStatus } from './gate.js';

/**
 * The last compliance and gate verdicts of a version, read back from where they were recorded:
 * the version's tags (what the promotion check reads, so this view cannot disagree with it) and,
 * for the gate, the validation run those tags name.
 */

/** The last compliance verdict, from the `compliance_status` and `compliance.<rule>` tags. */
export interface RecordedCompliance {
  /** `passed` or `failed`. */
  status: 'passed' | 'failed';
  /** The rules that were checked (switched-off rules have no tag), in `COMPLIANCE_RULES` order. */
  checks: ComplianceCheck[];
}

/** The last gate verdict, from the `validation_status` and `validation_run_id` tags. */
export interface RecordedGate {
  /** The `validation_status` tag. */
  status: GateStatus;
  /** The validation run, when the tag names one. */
  runId: string | null;
  /**
   * The gate's whole result as it wrote it to the run (`validation_result.json`); null when the
   * run has no such file (a gate run by an older Hangar) or is gone.
   */
  result: GateResult | null;
}

/** Both verdicts of one version; null where that check has never been recorded. */
export interface ValidationResults {
  name: string;
  version: number;
  compliance: RecordedCompliance | null;
  gate: RecordedGate | null;
}

const GATE_STATUSES: readonly string[] = ['approved', 'failed', 'dry_run_failed'] satisfies GateStatus[];

/**
 * Read the last compliance and gate results of `name`/`version`. RESOURCE_DOES_NOT_EXIST when
 * the version does not exist.
 */
export async function readValidationResults(client: HangarClient, name: string, version: number | string): Promise<ValidationResults> {
  const mv = await client.getModelVersion(name, version);
  const tags = new Map(mv.tags.map((t) => [t.key, t.value]));

  let compliance: RecordedCompliance | null = null;
  const cStatus = tags.get('compliance_status');
  if (cStatus === 'passed' || cStatus === 'failed') {
    const checks = COMPLIANCE_RULES.flatMap((rule): ComplianceCheck[] => {
      const value = tags.get(`compliance.${rule}`);
      const m = value === undefined ? null : /^(PASS|FAIL):\s?([\s\S]*)$/.exec(value);
      return m === null ? [] : [{ rule, status: m[1] as 'PASS' | 'FAIL', reason: m[2]! }];
    });
    compliance = { status: cStatus, checks };
  }

  let gate: RecordedGate | null = null;
  const gStatus = tags.get('validation_status');
  if (gStatus !== undefined && GATE_STATUSES.includes(gStatus)) {
    const runId = tags.get('validation_run_id') ?? null;
    let result: GateResult | null = null;
    if (runId !== null && runId !== '') {
      try {
        result = JSON.parse((await client.readArtifact({ runId }, GATE_RESULT_ARTIFACT)).toString('utf8')) as GateResult;
      } catch (e) {
        // A run without the file (older gate) or a deleted run: the tags still tell the verdict.
        if (!(isHangarError(e) && e.code === 'RESOURCE_DOES_NOT_EXIST') && !(e instanceof SyntaxError)) throw e;
      }
    }
    gate = { status: gStatus as GateStatus, runId, result };
  }
  return { name: mv.name, version: mv.version, compliance, gate };
}
