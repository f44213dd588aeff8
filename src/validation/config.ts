import { readFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { HangarError } from '../core/errors.js';
import { MetricThresholdSchema, thresholdFromInput, type MetricThreshold } from './thresholds.js';

/**
 * The project file (`hangar.yaml`, `hangar.yml` or `hangar.json`): the rules a model must meet on
 * its way to production. Only the `compliance` and `validation` sections are read here; other
 * top-level sections belong to other parts of Hangar and pass through untouched. Inside these
 * two sections unknown keys are errors, so a typo cannot silently switch a rule off.
 *
 * ```yaml
 * compliance:
 *   required_tags: [owner, use_case]
 *   required_metrics: [roc_auc]
 *   description: true        # every boolean rule defaults to true; set false to switch it off
 *   sensitive_features: { allow: [customers:age], require_tag: privacy_review }   # off unless set
 * validation:
 *   mode: enabled            # disabled | dry_run | enabled (default dry_run, MLOps Stacks' job default)
 *   thresholds:
 *     roc_auc: { threshold: 0.6, min_relative_change: 0.01, greater_is_better: true }
 * ```
 */

/** `table:feature` or `table:*`, as feature services name features. */
const FEATURE_REF = /^[A-Za-z_][A-Za-z0-9_]*:([A-Za-z_][A-Za-z0-9_]*|\*)$/;

export const VALIDATION_MODES = ['disabled', 'dry_run', 'enabled'] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

const ComplianceSchema = z
  .object({
    required_tags: z.array(z.string().min(1)).default([]),
    required_metrics: z.array(z.string().min(1)).default([]),
    description: z.boolean().default(true),
    signature: z.boolean().default(true),
    input_example: z.boolean().default(true),
    dataset_lineage: z.boolean().default(true),
    environment: z.boolean().default(true),
    /** Off unless set: `true` allows no sensitive feature; an object allows some (docs/validation.md). */
    sensitive_features: z
      .union([
        z.boolean(),
        z
          .object({
            allow: z.array(z.string().regex(FEATURE_REF, 'must be a feature reference table:feature or table:*')).default([]),
            require_tag: z.string().min(1).optional(),
          })
          .strict(),
      ], { error: 'must be true, false or { allow: [table:feature, …], require_tag: TAG }' })
      .default(false),
  })
  .strict();

const ValidationSchema = z
  .object({
    mode: z.enum(VALIDATION_MODES).default('dry_run'),
    thresholds: z.record(z.string().min(1), MetricThresholdSchema).default({}),
    /** Compare with the champion (`@champion`, else the Production version). */
    baseline: z.boolean().default(true),
    mlflow_compat: z.boolean().default(false),
  })
  .strict();

const ProjectFileSchema = z
  .object({
    compliance: ComplianceSchema.default(ComplianceSchema.parse({})),
    validation: ValidationSchema.default(ValidationSchema.parse({})),
  })
  .loose();

/** The compliance rules, each switched on or off (lists empty = nothing required). */
export interface ComplianceRules {
  /** Version tags that must be present and non-empty. */
  requiredTags: string[];
  /** Metrics the version's run must have logged. */
  requiredMetrics: string[];
  /** The version must have a description (the validation gate's appended block does not count). */
  description: boolean;
  /** The MLmodel must carry an input signature. */
  signature: boolean;
  /** The MLmodel must reference a saved input example. */
  inputExample: boolean;
  /** The version's run must record at least one dataset input. */
  datasetLineage: boolean;
  /** The package must capture its execution environment (runtime, lockfile digest, code commit). */
  environment: boolean;
  /**
   * Which sensitive features (src/data/features/sensitive.ts) a version may be trained on, or
   * null when the rule is off (the default). A feature passes when `allow` names it (or its
   * table as `table:*`), or when `requireTag` is set and the version carries that tag.
   */
  sensitiveFeatures: SensitiveFeaturesRule | null;
}

/** The `sensitive_features` compliance rule's settings. */
export interface SensitiveFeaturesRule {
  /** Feature references allowed without review: `table:feature` or `table:*`. */
  allow: string[];
  /** A version tag that, when present and non-empty, allows every sensitive feature (e.g. `privacy_review`); null when not used. */
  requireTag: string | null;
}

/** The validation gate's settings. */
export interface GateSettings {
  /** What a failure does: nothing (`disabled`), recorded only (`dry_run`), or blocks (`enabled`). */
  mode: ValidationMode;
  /** Metric name → bounds, checked. */
  thresholds: Record<string, MetricThreshold>;
  /** Compare with the champion when there is one. */
  baseline: boolean;
  /** MLflow's signed relative change on negative baselines (see `ValidateOptions`). */
  mlflowCompat: boolean;
}

/** A parsed, checked, frozen project file. */
export interface ProjectConfig {
  /** The file it came from, or null for the defaults. */
  path: string | null;
  /** Compliance rules. */
  compliance: ComplianceRules;
  /** Gate settings. */
  validation: GateSettings;
}

export const PROJECT_FILE_NAMES = ['hangar.yaml', 'hangar.yml', 'hangar.json'] as const;

/**
 * Parse a project file's text (YAML, of which JSON is a subset). Throws INVALID_PARAMETER_VALUE
 * naming the field (`compliance.required_tags.0`, `validation.thresholds.auc.greater_is_better`)
 * and the file.
 */
export function parseProjectConfig(text: string, path: string | null = null): ProjectConfig {
  const where = path === null ? 'project config' : path;
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `${where}: not valid YAML or JSON: ${(e as Error).message}`, { cause: e });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `${where}: the top level must be a mapping.`);
  }
  const parsed = checked(ProjectFileSchema, raw, where, '');
  return deepFreeze({
    path,
    compliance: complianceRules(parsed.compliance),
    validation: gateSettings(parsed.validation, where, 'validation'),
  });
}

/** zod's first issue as INVALID_PARAMETER_VALUE naming the field under `prefix`, in the file `where`. */
function checked<S extends z.ZodType>(schema: S, raw: unknown, where: string | null, prefix: string): z.infer<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const fieldPath = [...(prefix === '' ? [] : [prefix]), ...issue.path.map(String), ...(keys.length === 1 ? keys : [])];
  const field = fieldPath.join('.');
  const message = issue.code === 'unrecognized_keys' ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `'${k}'`).join(', ')}` : issue.message;
  throw new HangarError('INVALID_PARAMETER_VALUE', `${where === null ? '' : `${where}: `}invalid value for '${field || '(top level)'}': ${message}`, { field });
}

function complianceRules(c: z.infer<typeof ComplianceSchema>): ComplianceRules {
  return {
    requiredTags: c.required_tags,
    requiredMetrics: c.required_metrics,
    description: c.description,
    signature: c.signature,
    inputExample: c.input_example,
    datasetLineage: c.dataset_lineage,
    environment: c.environment,
    sensitiveFeatures:
      c.sensitive_features === false ? null : c.sensitive_features === true ? { allow: [], requireTag: null } : { allow: c.sensitive_features.allow, requireTag: c.sensitive_features.require_tag ?? null },
  };
}

function gateSettings(v: z.infer<typeof ValidationSchema>, where: string | null, prefix: string): GateSettings {
  let thresholds: Record<string, MetricThreshold>;
  try {
    const at = prefix === '' ? 'thresholds' : `${prefix}.thresholds`;
    thresholds = Object.fromEntries(Object.entries(v.thresholds).map(([metric, t]) => [metric, thresholdFromInput(t, `${at}.${metric}`)]));
  } catch (e) {
    if (e instanceof HangarError && where !== null) throw new HangarError(e.code, `${where}: ${e.message}`, { field: e.field, cause: e });
    throw e;
  }
  return { mode: v.mode, thresholds, baseline: v.baseline, mlflowCompat: v.mlflow_compat };
}

/**
 * The `compliance` section's rules as sent in a request body (snake_case, as in the project
 * file; absent keys take the file's defaults). INVALID_PARAMETER_VALUE naming `<field>.<key>`.
 */
export function complianceRulesFromInput(raw: unknown, field = 'rules'): ComplianceRules {
  return deepFreeze(complianceRules(checked(ComplianceSchema, raw ?? {}, null, field)));
}

/**
 * The `validation` section's gate settings as sent in a request body (`mode`, `thresholds`,
 * `baseline`, `mlflow_compat`, as in the project file). INVALID_PARAMETER_VALUE naming the field
 * (`thresholds.auc.greater_is_better`).
 */
export function gateSettingsFromInput(raw: unknown): GateSettings {
  return deepFreeze(gateSettings(checked(ValidationSchema, raw ?? {}, null, ''), null, ''));
}

/** The defaults, as if from an empty file: every boolean compliance rule on, no thresholds, dry run. */
export function defaultProjectConfig(): ProjectConfig {
  return parseProjectConfig('{}');
}

/**
 * Read the project file at `path`, or else the first of `hangar.yaml`, `hangar.yml`,
 * `hangar.json` in `dir`; the defaults when there is none. A path given explicitly must exist.
 */
export async function loadProjectConfig(path: string | undefined, dir: string): Promise<ProjectConfig> {
  if (path !== undefined) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      throw new HangarError('RESOURCE_DOES_NOT_EXIST', `Cannot read the project file ${path}: ${(e as Error).message}`, { cause: e });
    }
    return parseProjectConfig(text, path);
  }
  for (const name of PROJECT_FILE_NAMES) {
    const candidate = join(dir, name);
    const exists = await access(candidate).then(
      () => true,
      () => false,
    );
    if (exists) return parseProjectConfig(await readFile(candidate, 'utf8'), candidate);
  }
  return defaultProjectConfig();
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
