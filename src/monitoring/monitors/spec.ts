/**
 * Monitor definitions: what a monitor reads (an inference log by model name, or a table), its
 * profile (Snapshot, TimeSeries, InferenceLog as Databricks Lakehouse Monitoring defines them,
 * semantics.md §f), its options (baseline, slices, schedule, columns) and its alert rules.
 * Validated once here, at the edge; the stored definition is the parsed, defaulted form.
 */
import { z } from 'zod';
import { HangarError } from '../../core/errors.js';
import { parseSchedule } from './schedule.js';

/** The window granularities Databricks offers (its SDK's AggregationGranularity), in DuckDB interval syntax. */
export const GRANULARITIES = ['5 minutes', '30 minutes', '1 hour', '1 day', '1 week', '2 weeks', '3 weeks', '4 weeks', '1 month', '1 year'] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export const PROBLEM_TYPES = ['PROBLEM_TYPE_CLASSIFICATION', 'PROBLEM_TYPE_REGRESSION'] as const;

/** The `model_id` of metric rows over every model together (the only drift rows). */
const ALL_MODELS = '*';

const name = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must start with a letter or digit and hold only letters, digits, _ . -');
const column = z.string().min(1).max(256);
const granularities = z
  .array(z.enum(GRANULARITIES))
  .min(1)
  .refine((g) => new Set(g).size === g.length, 'must not repeat a granularity');

const snapshot = z.object({ type: z.literal('Snapshot') }).strict();
const timeSeries = z.object({ type: z.literal('TimeSeries'), timestamp_col: column, granularities }).strict();
const inferenceLog = z
  .object({
    type: z.literal('InferenceLog'),
    timestamp_col: column.default('timestamp'),
    granularities,
    model_id_col: column.default('model_version'),
    prediction_col: column.default('prediction'),
    label_col: column.nullish(),
    prediction_proba_col: column.nullish(),
    problem_type: z.enum(PROBLEM_TYPES),
  })
  .strict();

/** What a retraining trigger launches: a command (argv, no shell) run as a child process. */
const retrain = z
  .object({
    command: z.array(z.string().min(1)).min(1),
    cwd: z.string().min(1).nullish(),
    env: z.record(z.string(), z.string()).optional(),
    /** Killed after this many seconds. */
    timeout_seconds: z.number().int().min(1).max(7 * 86_400).default(3600),
    /** The MLflow experiment the trigger's run is recorded in. */
    experiment_name: z.string().min(1).default('hangar-retraining'),
  })
  .strict();

/**
 * An alert rule: over the newest `num_evaluation_windows` windows of a metric, the rule is
 * violated when at least `num_violation_windows` of them cross the threshold and the newest one
 * does (MLOps Stacks' retraining rule; its defaults are 5 and 2).
 */
const alertRule = z
  .object({
    name,
    /** A metric column of the profile or drift table, e.g. `root_mean_squared_error`, `js_distance`. */
    metric: column,
    table: z.enum(['profile', 'drift']).default('profile'),
    /** `above`: violated when metric > threshold; `below`: when metric < threshold. */
    direction: z.enum(['above', 'below']).default('above'),
    threshold: z.number().finite(),
    num_evaluation_windows: z.number().int().min(1).max(1000).default(5),
    num_violation_windows: z.number().int().min(1).max(1000).default(2),
    /** Row filters. Defaults: `:table`, the whole table (no slice), one granularity (the monitor's first). */
    column_name: column.default(':table'),
    granularity: z.enum(GRANULARITIES).nullish(),
    slice_key: z.string().nullish(),
    slice_value: z.string().nullish(),
    /**
     * `*` = all models; omitted = per-model rows (`model_id != '*'`, as MLOps Stacks queries) for
     * InferenceLog profile rules, `*` otherwise. A drift rule of an InferenceLog monitor must be `*`
     * (omitted becomes `*`): drift is computed for all models together.
     */
    model_id: z.string().nullish(),
    /** Drift rules: which comparison. Default BASELINE when the monitor has a baseline, else CONSECUTIVE. */
    drift_type: z.enum(['CONSECUTIVE', 'BASELINE']).nullish(),
    retrain: retrain.nullish(),
  })
  .strict()
  .refine((r) => r.num_violation_windows <= r.num_evaluation_windows, {
    message: 'num_violation_windows must not exceed num_evaluation_windows',
    path: ['num_violation_windows'],
  });

const source = z.union([
  z.object({ inference_log: z.object({ model: z.string().min(1), root: z.string().min(1).nullish() }).strict() }).strict(),
  z.object({ table: z.string().min(1) }).strict(),
]);

export const MonitorDefinitionSchema = z
  .object({
    name,
    source,
    profile: z.discriminatedUnion('type', [snapshot, timeSeries, inferenceLog]),
    /** A Parquet/CSV table to compare every window against (e.g. the training set). */
    baseline: z.string().min(1).nullish(),
    /** SQL expressions over the table's columns; each value of each expression is a slice. */
    slicing_exprs: z.array(z.string().min(1).max(500)).max(20).default([]),
    /** Profile only these columns (default: every numeric, string and boolean column). */
    columns: z.array(column).nullish(),
    /** `1h`, `30m`, `1d` or a 5-field cron expression (UTC); none = run on demand only. */
    schedule: z.string().min(1).nullish(),
    /** Days before the newest row that every later run recomputes (late labels); 0 = only windows since the last run. */
    refresh_days: z.number().int().min(0).max(366).default(30),
    /** Frequent items kept per column and window. */
    frequent_items: z.number().int().min(0).max(100).default(5),
    alert_rules: z.array(alertRule).max(50).default([]),
    description: z.string().max(5000).nullish(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.schedule !== undefined && d.schedule !== null) {
      try {
        parseSchedule(d.schedule);
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['schedule'], message: (e as Error).message });
      }
    }
    d.slicing_exprs.forEach((expr, i) => {
      const problem = sliceExpressionProblem(expr);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: ['slicing_exprs', i], message: problem });
    });
    const names = new Set<string>();
    d.alert_rules.forEach((r, i) => {
      if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['alert_rules', i, 'name'], message: `repeats the rule name '${r.name}'` });
      names.add(r.name);
    });
  })
  // A drift rule of an InferenceLog monitor without model_id reads the all-models rows: the
  // per-model default of profile rules would find no drift row at all.
  .transform((d) =>
    d.profile.type !== 'InferenceLog'
      ? d
      : { ...d, alert_rules: d.alert_rules.map((r) => (r.table === 'drift' && (r.model_id === undefined || r.model_id === null) ? { ...r, model_id: ALL_MODELS } : r)) },
  );

/** A validated monitor definition (defaults applied). */
export type MonitorDefinition = z.infer<typeof MonitorDefinitionSchema>;
export type AlertRule = MonitorDefinition['alert_rules'][number];
export type RetrainSpec = NonNullable<AlertRule['retrain']>;
export type Profile = MonitorDefinition['profile'];

/**
 * Validate a monitor definition. INVALID_PARAMETER_VALUE naming the field (dotted path, e.g.
 * `alert_rules.0.threshold`) and the rule it breaks.
 */
export function parseMonitorDefinition(input: unknown, options: { stored?: boolean } = {}): MonitorDefinition {
  const result = MonitorDefinitionSchema.safeParse(input ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.') || '(body)';
    throw new HangarError('INVALID_PARAMETER_VALUE', `Invalid monitor definition, field '${field}': ${issue.message}`, { field });
  }
  // Refused for new definitions only: a monitor stored before this rule existed still loads
  // (its rule finds no window, as it always did), so nothing stored becomes unreadable.
  if (options.stored !== true) {
    const d = result.data;
    d.alert_rules.forEach((r, i) => {
      // Drift rows exist only for all models together: a rule naming one model would read no window and never fire.
      if (d.profile.type === 'InferenceLog' && r.table === 'drift' && r.model_id !== undefined && r.model_id !== null && r.model_id !== ALL_MODELS) {
        const field = `alert_rules.${i}.model_id`;
        throw new HangarError(
          'INVALID_PARAMETER_VALUE',
          `Invalid monitor definition, field '${field}': is '${r.model_id}', but drift is computed for all models together (model_id '${ALL_MODELS}'), so this rule could never fire: write model_id: '${ALL_MODELS}' or leave it out`,
          { field },
        );
      }
    });
  }
  return result.data;
}

// Slice expressions run inside DuckDB; the grammar allowed is small on purpose: column names,
// literals, comparisons, arithmetic, AND/OR/NOT, IN, IS [NOT] NULL, BETWEEN, LIKE. No function
// calls and no subqueries, so a definition can never read other files or run other statements.
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'between', 'like', 'ilike', 'true', 'false']);
const TOKEN = /\s+|'(?:[^']|'')*'|"(?:[^"]|"")+"|\d+(?:\.\d+)?(?:e[+-]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|<=|>=|<>|!=|=|<|>|\+|-|\*|\/|%|\(|\)|,/giy;

/** Why a slicing expression is refused, or null when it is allowed. */
export function sliceExpressionProblem(expr: string): string | null {
  TOKEN.lastIndex = 0;
  const tokens: string[] = [];
  while (TOKEN.lastIndex < expr.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (m === null) return `unexpected character '${expr[start]}' at position ${start}`;
    if (m[0].trim() !== '') tokens.push(m[0]);
  }
  if (tokens.length === 0) return 'is empty';
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === '(') {
      const prev = tokens[i - 1];
      if (prev !== undefined && /^[A-Za-z_]/.test(prev) && !KEYWORDS.has(prev.toLowerCase())) return `calls '${prev}(…)': function calls are not allowed in slicing expressions`;
      depth++;
    } else if (t === ')') {
      depth--;
      if (depth < 0) return 'has an unbalanced ")"';
    } else if (/^[A-Za-z_]/.test(t) && !KEYWORDS.has(t.toLowerCase()) && /^(select|from|where|union|with)$/i.test(t)) {
      return `uses '${t}': subqueries are not allowed in slicing expressions`;
    }
  }
  if (depth !== 0) return 'has an unbalanced "("';
  return null;
}
