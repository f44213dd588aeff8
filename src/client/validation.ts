/**
 * The validation part of the SDK (`client.validation`): compliance checks and the champion /
 * challenger gate run **by the server** (`/api/2.0/hangar/validation/…`), and the last recorded
 * verdicts of a version. The server reads the evaluation data from its own file system or its
 * dataset catalogue (`dataset:NAME[@VERSION]`); when the data is only on the caller's machine,
 * run the gate client-side with `runGate` and `gateData` from `src/validation` (what
 * `hangar gate --evaluate-on client` does).
 */
import type { Transport } from './http.js';
import type {
  ComplianceCheckInfo,
  ComplianceReportInfo,
  ComplianceRulesInput,
  GateRunInput,
  GateRunResult,
  MetricThresholdValue,
  MetricVerdict,
  ValidationResultsInfo,
} from './types.js';

const HANGAR = '/api/2.0/hangar/validation';

type Wire = Record<string, unknown>;
const numOrUndef = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const metricsOf = (v: unknown): Record<string, number> => (v !== null && typeof v === 'object' ? (v as Record<string, number>) : {});

function checkFromWire(w: Wire): ComplianceCheckInfo {
  return { rule: String(w.rule), status: w.status as ComplianceCheckInfo['status'], reason: String(w.reason ?? '') };
}

/** A compliance report from its wire form. */
export function complianceReportFromWire(w: Wire): ComplianceReportInfo {
  return {
    modelUri: String(w.model_uri),
    name: String(w.name),
    version: Number(w.version),
    passed: w.passed === true,
    checks: ((w.checks as Wire[] | undefined) ?? []).map(checkFromWire),
  };
}

function thresholdFromWire(w: Wire): MetricThresholdValue {
  const t = numOrUndef(w.threshold);
  const abs = numOrUndef(w.min_absolute_change);
  const rel = numOrUndef(w.min_relative_change);
  return {
    ...(t === undefined ? {} : { threshold: t }),
    ...(abs === undefined ? {} : { minAbsoluteChange: abs }),
    ...(rel === undefined ? {} : { minRelativeChange: rel }),
    greaterIsBetter: w.greater_is_better === true,
  };
}

function verdictFromWire(w: Wire): MetricVerdict {
  const cand = numOrUndef(w.candidate);
  const base = numOrUndef(w.baseline);
  const rel = numOrUndef(w.relative_change);
  return {
    metric: String(w.metric),
    ...(cand === undefined ? {} : { candidate: cand }),
    ...(base === undefined ? {} : { baseline: base }),
    threshold: thresholdFromWire((w.threshold as Wire | undefined) ?? {}),
    missingCandidate: w.missing_candidate === true,
    missingBaseline: w.missing_baseline === true,
    thresholdFailed: w.threshold_failed === true,
    absoluteChangeFailed: w.absolute_change_failed === true,
    relativeChangeFailed: w.relative_change_failed === true,
    ...(rel === undefined ? {} : { relativeChange: rel }),
    passed: w.passed === true,
    failures: (w.failures as string[] | undefined) ?? [],
    message: String(w.message ?? ''),
  };
}

/** A gate result from its wire form. */
export function gateResultFromWire(w: Wire): GateRunResult {
  const cand = w.candidate as Wire | null | undefined;
  const base = w.baseline as Wire | null | undefined;
  const val = w.validation as Wire | null | undefined;
  return {
    mode: w.mode as GateRunResult['mode'],
    passed: w.passed === true,
    blocking: w.blocking === true,
    status: (w.status ?? null) as GateRunResult['status'],
    candidate: cand == null ? null : { name: String(cand.name), version: Number(cand.version), metrics: metricsOf(cand.metrics) },
    baseline: base == null ? null : { version: Number(base.version), uri: String(base.uri), metrics: metricsOf(base.metrics) },
    validation: val == null ? null : { passed: val.passed === true, message: String(val.message ?? ''), metrics: ((val.metrics as Wire[] | undefined) ?? []).map(verdictFromWire) },
    runId: typeof w.run_id === 'string' ? w.run_id : null,
    runLink: typeof w.run_link === 'string' ? w.run_link : null,
    skippedComparisons: (w.skipped_comparisons as string[] | undefined) ?? [],
    ...(typeof w.hook_error === 'string' ? { hookError: w.hook_error } : {}),
  };
}

function resultsFromWire(w: Wire): ValidationResultsInfo {
  const c = w.compliance as Wire | null | undefined;
  const g = w.gate as Wire | null | undefined;
  return {
    name: String(w.name),
    version: Number(w.version),
    compliance: c == null ? null : { status: c.status as 'passed' | 'failed', checks: ((c.checks as Wire[] | undefined) ?? []).map(checkFromWire) },
    gate:
      g == null
        ? null
        : {
            status: g.status as 'approved' | 'failed' | 'dry_run_failed',
            runId: typeof g.run_id === 'string' ? g.run_id : null,
            result: g.result == null ? null : gateResultFromWire(g.result as Wire),
          },
  };
}

/** Server-side compliance checks and gate; every failure is an ApiError with the server's code. */
export class ValidationClient {
  constructor(private readonly http: Transport) {}

  /**
   * Run the compliance checks on `name`/`version` on the server and (unless `record: false`)
   * record the verdict as version tags. Needs Can Edit on the model (Can Read without recording).
   */
  async runCompliance(name: string, version: number | string, opts: { rules?: ComplianceRulesInput; record?: boolean } = {}): Promise<{ report: ComplianceReportInfo; recorded: boolean }> {
    const r = await this.http.json<{ report: Wire; recorded?: boolean }>('POST', `${HANGAR}/compliance/run`, {
      json: { name, version: String(version), ...(opts.rules === undefined ? {} : { rules: opts.rules }), ...(opts.record === undefined ? {} : { record: opts.record }) },
      idempotent: false,
    });
    return { report: complianceReportFromWire(r.report), recorded: r.recorded === true };
  }

  /**
   * Run the champion/challenger gate on the server: it loads the candidate and the champion,
   * scores both on `data` in one validation run, records the verdict on the version and sets
   * `challenger` on success. `data` is the absolute path of a Parquet or CSV file the server
   * reads, or a registered dataset `dataset:NAME[@VERSION]` (the latest version without one),
   * which the validation run records as its `evaluation` input with the version's digest.
   * Needs Can Manage Staging Versions on the model (and read access to the dataset).
   * A failed threshold is not an error: read `blocking`; an unknown dataset or version is
   * RESOURCE_DOES_NOT_EXIST.
   */
  async runGate(input: GateRunInput): Promise<GateRunResult> {
    const r = await this.http.json<{ result: Wire }>('POST', `${HANGAR}/gate/run`, {
      json: {
        name: input.name,
        version: String(input.version),
        data: input.data,
        target: input.target,
        ...(input.mode === undefined ? {} : { mode: input.mode }),
        ...(input.thresholds === undefined ? {} : { thresholds: input.thresholds }),
        ...(input.baseline === undefined ? {} : { baseline: input.baseline }),
        ...(input.mlflowCompat === undefined ? {} : { mlflow_compat: input.mlflowCompat }),
        ...(input.experimentName === undefined ? {} : { experiment_name: input.experimentName }),
      },
      idempotent: false,
    });
    return gateResultFromWire(r.result);
  }

  /** The last recorded compliance and gate verdicts of a version (Can Read). */
  async getResults(name: string, version: number | string): Promise<ValidationResultsInfo> {
    const r = await this.http.json<{ results: Wire }>('GET', `${HANGAR}/results/get`, { query: { name, version: String(version) }, idempotent: true });
    return resultsFromWire(r.results);
  }
}
