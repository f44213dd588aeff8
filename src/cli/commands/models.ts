import { Option } from 'commander';
import type { HangarClient } from '../../client/index.js';
import type { CommandContext } from './context.js';
import { clientFor, clientOptions, idList, intOption, repeatable, type CliIo } from '../options.js';
import { formatNumber, formatTable } from '../table.js';

/** Model commands: `hangar train` here; `hangar evaluate` is added beside it. */
export function registerModelCommands(ctx: CommandContext): void {
  registerTrainCommand(ctx);
  registerEvaluateCommand(ctx);
}

// --- hangar train ------------------------------------------------------------------------

interface TrainFlags {
  data: string;
  target: string;
  problem?: 'binary' | 'multiclass' | 'regression';
  learner: string;
  param?: string[];
  holdout?: string;
  exclude?: string[];
  experiment: string;
  runName?: string;
  register?: string;
  search?: 'grid' | 'random';
  trials?: number;
  seed: number;
  threads?: number;
  trainingSet?: string;
  trackingUri: string;
  json?: boolean;
}

function registerTrainCommand({ program, io }: CommandContext): void {
  clientOptions(
    program
      .command('train')
      .description('train a model on a Parquet or CSV file or a registered dataset, track the run, evaluate it on a holdout and optionally register it')
      .requiredOption('--data <path|sql|dataset>', ".parquet or .csv file, a query (\"select … from 'flights.parquet' where …\"), or a registered dataset: dataset:NAME[@VERSION]")
      .requiredOption('--target <column>', 'the label column')
      .addOption(new Option('--problem <problem>', 'default: inferred from the target').choices(['binary', 'multiclass', 'regression']))
      .addOption(new Option('--learner <learner>', 'the learner').choices(['gbdt', 'linear']).default('gbdt'))
      .option('--param <key=value>', 'a hyperparameter (repeatable); with --search, a comma list of candidates', repeatable)
      .option('--holdout <path|sql|dataset>', 'data to evaluate on (same forms as --data)')
      .option('--exclude <columns>', 'columns that are not features (comma-separated, repeatable)', idList)
      .option('--experiment <name>', 'experiment to log to (created when missing)', 'Default')
      .option('--run-name <name>', 'name of the run (the parent run with --search)')
      .option('--register <name>', 'register the model (the best trial with --search) as a new version of this model')
      .addOption(new Option('--search <mode>', 'hyperparameter search over the --param lists, as child runs').choices(['grid', 'random']))
      .option('--trials <n>', 'random search: trials to run (default 10); grid: at most this many', intOption(1, 100_000))
      .option('--seed <n>', 'random search seed', intOption(0, 2 ** 31 - 1), 0)
      .option('--threads <n>', 'worker threads for training (default: every core)', intOption(1, 1024))
      .option('--training-set <id|file>', 'record this training set\'s feature lookups (an id, or a feature_spec.yaml) in the model, for `hangar score`; --data is then the training set\'s file'),
    io,
  )
    .addHelpText(
      'after',
      `
Data: --data and --holdout take a file, a SQL query over files, or a registered dataset version
(docs/datasets.md): dataset:NAME@VERSION, or dataset:NAME for the latest. A dataset is
downloaded once to a local cache and the run records the version (name, digest, context
training or evaluation) as its input; files are recorded with their path and a digest.
Feature look-ups: build a point-in-time training set first (hangar features training-set
--labels … --lookup TABLE --out train.parquet), then train on its file with --training-set ID,
so the look-ups go with the model and hangar score needs only the keys.

Metrics (on --holdout, else on the training rows): binary auc, log_loss, accuracy, precision, recall, f1;
multiclass accuracy, macro_f1, log_loss; regression rmse, mae, r2, mape. Progress goes to stderr.
The model is logged as MLflow 3 does: a LoggedModel linked to the run (models:/m-<id>, also
loadable as runs:/<run>/model); --register creates the version from it. With --training-set
the package also holds feature_spec.yaml, beside MLmodel.

Examples:
  hangar train --data train.parquet --target churned --holdout test.parquet --register churn
  hangar train --data dataset:flights@1 --holdout dataset:flights-june@1 --target late --exclude delay
  hangar train --data "select *, delay > 15 as late from 'flights.parquet'" --target late --exclude delay
  hangar train --data train.csv --target price --learner linear --param alpha=0.01
  hangar train --data train.parquet --target y --search grid --param learning_rate=0.05,0.1 --param max_leaf_nodes=15,31`,
    )
    .action(async (o: TrainFlags) => {
      const [{ train }, { search, parseParamArgs }] = await Promise.all([import('../../models/train.js'), import('../../models/search.js')]);
      const client = clientFor(io, o.trackingUri);
      const { fixed, space } = parseParamArgs(o.param ?? [], o.search !== undefined);
      const onProgress = o.json ? undefined : progressPrinter(io);
      const hook = o.trainingSet === undefined ? undefined : await (await import('./features.js')).trainingSetHook(io, o.trackingUri, o.trainingSet);
      const common = {
        client,
        data: o.data,
        target: o.target,
        problem: o.problem,
        holdout: o.holdout,
        exclude: o.exclude,
        learner: o.learner,
        experiment: o.experiment,
        runName: o.runName,
        register: o.register,
        threads: o.threads,
        onProgress,
        // The training set's feature_spec.yaml goes into the package, beside MLmodel.
        ...(hook === undefined ? {} : { tags: hook.tags, extraFiles: hook.files }),
      };
      if (o.search) {
        const r = await search({ ...common, mode: o.search, space, fixed, trials: o.trials, seed: o.seed });
        if (hook !== undefined) await tagTrainedModel(client, hook.tags, r.best.result.loggedModelId, r.registered);
                if (o.json) {
          io.out(
            `${JSON.stringify(
              {
                parent_run_id: r.parentRunId,
                experiment_id: r.experimentId,
                metric: r.metric,
                best: { run_id: r.best.result.runId, params: r.best.params, metrics: r.best.result.metrics, model_uri: r.best.result.modelUri },
                trials: r.trials.map((t) => ({ run_id: t.result.runId, params: t.params, metrics: t.result.metrics })),
                registered: r.registered ?? null,
              },
              null,
              2,
            )}\n`,
          );
          return;
        }
        const names = Object.keys(r.best.result.metrics);
        io.out(`Search ${o.search}: parent run ${r.parentRunId}, ${r.trials.length} trials ranked by ${r.metric.name} on the ${r.metric.on} data\n`);
        io.out(
          formatTable(
            ['run', ...Object.keys(space), ...names, 'best'],
            r.trials.map((t) => [t.result.runId, ...Object.keys(space).map((k) => t.params[k]), ...names.map((n) => formatNumber(t.result.metrics[n] ?? NaN)), t === r.best ? '*' : '']),
          ),
        );
        io.out(`Best: run ${r.best.result.runId} (${r.best.result.modelUri})\n`);
        if (r.registered) io.out(`Registered ${r.registered.name} version ${r.registered.version}\n`);
        return;
      }
      const r = await train({ ...common, params: fixed });
      if (hook !== undefined) await tagTrainedModel(client, hook.tags, r.loggedModelId, r.registered);
      if (o.json) {
        io.out(
          `${JSON.stringify(
            {
              run_id: r.runId,
              experiment_id: r.experimentId,
              learner: r.learner,
              problem: r.problem,
              model_uri: r.modelUri,
              model_id: r.loggedModelId ?? null,
              evaluated_on: r.evaluatedOn,
              metrics: r.metrics,
              rows: r.rows,
              timings_ms: r.timings,
              registered: r.registered ?? null,
            },
            null,
            2,
          )}\n`,
        );
        return;
      }
      io.out(`Run ${r.runId} (experiment ${r.experimentId}): ${r.learner}, ${r.problem}, ${r.rows.train} training rows, model ${r.modelUri}\n`);
      io.out(formatTable(['metric', r.evaluatedOn === 'holdout' ? `holdout (${r.rows.holdout} rows)` : 'training rows (no --holdout)'], Object.entries(r.metrics).map(([k, v]) => [k, formatNumber(v)])));
      if (r.registered) io.out(`Registered ${r.registered.name} version ${r.registered.version}\n`);
    });
}

/**
 * The training-set tags (`hangar.training_set`, `hangar.sensitive_features`) go on the logged
 * model and the registered version too, so the version carries its lineage by itself (the
 * `sensitive_features` compliance rule reads them there).
 */
async function tagTrainedModel(client: HangarClient, tags: Record<string, string>, loggedModelId: string | undefined, registered: { name: string; version: string } | undefined): Promise<void> {
  if (loggedModelId !== undefined) await client.setLoggedModelTags(loggedModelId, tags);
  if (registered === undefined) return;
  for (const [key, value] of Object.entries(tags)) await client.setModelVersionTag(registered.name, registered.version, key, value);
}

/** Progress lines on stderr: phases, the first iteration and every tenth. */
function progressPrinter(io: CliIo) {
  return (p: { kind: 'phase'; message: string } | { kind: 'iteration'; iteration: number; metrics: Record<string, number> }): void => {
    if (p.kind === 'phase') io.err(`${p.message}\n`);
    else if (p.iteration === 1 || p.iteration % 10 === 0) {
      io.err(`  iteration ${p.iteration}${Object.entries(p.metrics).map(([k, v]) => `  ${k} ${formatNumber(v)}`).join('')}\n`);
    }
  };
}

// --- hangar evaluate -----------------------------------------------------------------------

interface EvaluateFlags {
  data: string;
  target: string;
  experiment: string;
  runId?: string;
  trackingUri: string;
  json?: boolean;
}

function registerEvaluateCommand({ program, io }: CommandContext): void {
  clientOptions(
    program
      .command('evaluate')
      .argument('<model-uri>', 'models:/NAME/VERSION (or /STAGE, @ALIAS), runs:/RUN/PATH, or a local package directory')
      .description('score a model on labelled data, print the metrics and log them with SVG plots to a run')
      .requiredOption('--data <path|sql>', '.parquet or .csv file, or a query')
      .requiredOption('--target <column>', 'the label column')
      .option('--experiment <name>', 'experiment of the evaluation run (created when missing)', 'Default')
      .option('--run-id <id>', 'log into this run instead of a new one'),
    io,
  )
    .addHelpText(
      'after',
      `
Metrics: binary auc, pr_auc, log_loss, accuracy, precision, recall, f1 and confusion counts;
multiclass accuracy, macro_f1, weighted_f1, log_loss; regression rmse, mae, r2, mape, max_error.
MLflow's names (roc_auc, f1_score, root_mean_squared_error, ...) are logged too, and shown with --json.
Plots under evaluation/: ROC, precision-recall, confusion matrix, residuals, feature importance.

Examples:
  hangar evaluate models:/delays@champion --data june.parquet --target late
  hangar evaluate runs:/0a1b2c/model --data holdout.csv --target price --json`,
    )
    .action(async (uri: string, o: EvaluateFlags) => {
      const { evaluate, MLFLOW_ALIASES } = await import('../../models/index.js');
      const client = clientFor(io, o.trackingUri);
      const r = await evaluate(client, { modelUri: uri, data: o.data, target: o.target, experiment: o.experiment, ...(o.runId === undefined ? {} : { runId: o.runId }) });
      if (o.json) {
        io.out(`${JSON.stringify({ run_id: r.runId, model_uri: uri, problem: r.problem, rows: r.rows, metrics: r.metrics, artifacts: r.artifacts }, null, 2)}\n`);
        return;
      }
      // MLflow's aliases repeat the short names' values; the table shows each value once.
      const aliases = new Set(Object.values(MLFLOW_ALIASES));
      const shown = Object.entries(r.metrics).filter(([k]) => !aliases.has(k) || !Object.entries(MLFLOW_ALIASES).some(([short, a]) => a === k && short in r.metrics));
      io.out(`Evaluated ${uri} on ${r.rows} rows (${r.problem}); logged to run ${r.runId}\n`);
      io.out(formatTable(['metric', 'value'], shown.map(([k, v]) => [k, formatNumber(v)])));
      io.out(`Plots: ${r.artifacts.filter((a) => a.endsWith('.svg')).join(', ')}\n`);
    });
}
