import { dirname, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { FeaturesClient, HangarClient, OnlineFeaturesClient, type ModelVersion } from '../client/index.js';
import { HangarError } from '../core/errors.js';
import { FEATURE_SPEC_FILE, featureSpecYaml } from '../data/index.js';
import { loadTrainingData, trainRun, type LoadedData, type TrainResult } from '../models/index.js';
import { HOLDOUT_START, MODEL_TABLES, flightLookups, labelsSql, prepareFlightsData, trainingSetFile } from './flights-features.js';
import { replayTraffic, type AlertOutcome, type ReplayAlert, type ReplayResult } from './replay.js';
import {
  dataEvaluator,
  deployVersion,
  loadComplianceSubject,
  parseProjectConfig,
  recordComplianceReport,
  runComplianceChecks,
  runGate,
  type ComplianceReport,
  type GateResult,
  type ProjectConfig,
} from '../validation/index.js';

/**
 * The main job (issue 3): the production half of the reference architecture on real data.
 * A data scientist trains a baseline (logistic regression) and a better model (gradient-boosted
 * trees) on US flight delays and registers both; an ML engineer runs the compliance checks and
 * the champion/challenger gate, the data scientist files a transition request to Production, and
 * the approval (here given by the demo, standing in for a person) promotes the model. Everything
 * goes through the SDK, each person with their own API token, so the activity log says who did what.
 */

/** The project file the demo applies (also what `hangar validate` / `hangar gate` read from hangar.yaml). */
export const DEMO_PROJECT_YAML = `compliance:
  required_tags: [owner, use_case]
  required_metrics: [auc, log_loss]
  sensitive_features: { require_tag: privacy_review }   # the flights features carry no sensitive-data tags
validation:
  mode: enabled
  thresholds:
    roc_auc: { threshold: 0.6, min_relative_change: 0, greater_is_better: true }
    log_loss: { threshold: 0.6, greater_is_better: false }
`;

/** The gradient-boosted trees' hyperparameters, for the first model and the retrained one. */
const GBDT_PARAMS = { max_iter: 200, max_leaf_nodes: 15, min_samples_leaf: 100, early_stopping: true, random_state: 7 };

/**
 * The retraining rule's margin, in standard errors of one day's AUC: the threshold is the
 * champion's AUC on the April holdout minus this many standard errors of the AUC of a window
 * of one day of traffic (Hanley & McNeil's formula, from the holdout's positive share and the
 * expected rows a day). Fixed before the replay is run. With no change at all in the data, one
 * day falls below it with probability ≈ 16 %, so the rule (2 of the last 5 days, the newest
 * included) fires on ≈ 8 % of days: a sensitive rule, chosen so that two months show the loop.
 */
export const AUC_MARGIN_SE = 1;

/** The drift baseline keeps one training row in this many. */
const BASELINE_EVERY = 20;

/** Days of the holdout (April 16–30 2001), for the expected rows of one day of traffic. */
const HOLDOUT_DAYS = 15;

/**
 * The standard error of an AUC `a` measured on `pos` positives and `neg` negatives
 * (Hanley & McNeil 1982, with Q1 = A/(2−A) and Q2 = 2A²/(1+A)).
 */
export function aucStandardError(a: number, pos: number, neg: number): number {
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  return Math.sqrt((a * (1 - a) + (pos - 1) * (q1 - a * a) + (neg - 1) * (q2 - a * a)) / (pos * neg));
}

export interface MainJobOptions {
  /** The flights Parquet file. Default: vega-datasets' `data/flights-3m.parquet`. */
  dataPath?: string;
  /** Registered model. Default `flight-delays`. */
  modelName?: string;
  /** Experiment for the training runs. Default `flight-delays`. */
  experimentName?: string;
  /** Keep one training row in this many (Jan 1–Apr 15 2001) and one holdout row (Apr 16–30) in this many. Default 20 (≈ 90k rows). */
  sampleEvery?: number;
  /** Worker threads for training. Default: every core. */
  threads?: number;
  /** Progress lines. Default: nowhere. */
  log?: (line: string) => void;
  /** Serve the champion, replay May–June, monitor, and retrain when the rule fires (issue 5). Default true. */
  replay?: boolean;
  /** Keep one May–June flight in this many as traffic. Default `5 × sampleEvery`. */
  trafficEvery?: number;
  /** The retraining rule's daily-AUC threshold. Default: derived before the replay (see AUC_MARGIN_SE). */
  aucThreshold?: number;
}

export interface MainJobResult {
  /** The registered model the versions went into. */
  modelName: string;
  /** The logistic-regression run and the version it registered. */
  baseline: TrainResult & { version: number };
  /** The gradient-boosted-trees run and the version it registered (the gate's candidate). */
  candidate: TrainResult & { version: number };
  /** The compliance report of each new version, baseline first. */
  compliance: ComplianceReport[];
  /** The gate on the candidate against the champion. */
  gate: GateResult;
  /** The champion before the candidate's promotion. */
  previousChampion: number | null;
  /** The champion at the end. */
  champion: number | null;
  /** True when the candidate was promoted through an approved transition request. */
  promoted: boolean;
  /** The replay, the monitor's windows and the alerts (without `replay: false`). */
  replay?: ReplayResult;
  /** The retraining rule's threshold on the daily AUC (derived or given). */
  aucThreshold?: number;
  /** The models retrained after alerts, each with its way through the checks, the gate and the approval. */
  retrained?: Array<{ version: number; runId: string; trainRows: number; alertDay: string; compliance: ComplianceReport; gate: GateResult; promoted: boolean }>;
}

/** Where vega-datasets keeps the flights file, found through module resolution (not the working directory). */
export function flightsParquet(): string {
  const require = createRequire(import.meta.url);
  // The package exports only its build/index.js; the data directory sits beside build/.
  return resolve(dirname(require.resolve('vega-datasets')), '..', 'data', 'flights-3m.parquet');
}

/**
 * Training and holdout queries: label `delay > 15` (minutes); features hour and weekday of the
 * scheduled departure, distance, origin and destination (the delay itself is the label's source,
 * so it is left out). A deterministic hash sample keeps the demo quick and the same every run.
 */
export function flightQueries(path: string, every: number): { train: string; holdout: string } {
  const file = `'${path.replaceAll("'", "''")}'`;
  const select = `select hour(date) as hour, dayofweek(date) as weekday, distance, origin, destination, delay > 15 as delayed from ${file}`;
  const sample = (n: number) => `hash(date, origin, destination, distance) % ${n} = 0`;
  return {
    train: `${select} where month(date) <= 4 and ${sample(every)}`,
    holdout: `${select} where month(date) = 6 and ${sample(every * 2)}`,
  };
}

/** The first replayed day: nothing from it on is used before the replay. */
const REPLAY_START = '2001-05-01T00:00:00Z';

const fmt = (v: number | undefined, digits = 4): string => (v === undefined ? '-' : v.toFixed(digits));
const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

export async function runMainJob(admin: HangarClient, opts: MainJobOptions = {}): Promise<MainJobResult> {
  const log = opts.log ?? (() => undefined);
  const modelName = opts.modelName ?? 'flight-delays';
  const every = opts.sampleEvery ?? 20;
  if (opts.aucThreshold !== undefined && !(opts.aucThreshold > 0 && opts.aucThreshold < 1)) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `aucThreshold must be between 0 and 1, got ${opts.aucThreshold}`, { field: 'aucThreshold' });
  }
  const dataPath = opts.dataPath ?? flightsParquet();
  const project: ProjectConfig = parseProjectConfig(DEMO_PROJECT_YAML, 'demo project (hangar.yaml)');

  // Two people, two tokens: the activity log then says who trained, requested and approved.
  const scientistToken = await admin.governance.createToken('dana', { description: 'hangar demo: data scientist' });
  const engineerToken = await admin.governance.createToken('sam', { description: 'hangar demo: ML engineer' });
  const as = (token: string) => new HangarClient({ trackingUri: admin.trackingUri, token, maxRetries: 2, backoffMs: 100 });
  const dana = as(scientistToken.token);
  const sam = as(engineerToken.token);
  log(`people      dana (data scientist) and sam (ML engineer), each with an API token`);

  try {
    // --- dev: data and features (issue 4) -----------------------------------------------------------
    // With a replay, the online store holds only what was known before its first day.
    const prepared = await prepareFlightsData(admin, { dataPath, every, log, ...(opts.replay === false ? {} : { onlineEnd: REPLAY_START }) });
    const data: LoadedData = await loadTrainingData({ data: prepared.train.localPath, holdout: prepared.holdout.localPath, target: 'delayed', exclude: ['date'] });
    const positives = data.train.labels.reduce((s, y) => s + y, 0) / data.train.frame.rows;
    log(
      `data        ${data.train.frame.rows.toLocaleString('en-US')} training rows × ${data.train.frame.features.length} features ` +
        `(${data.train.frame.features.map((f) => f.name).join(', ')}), ${(data.holdout?.frame.rows ?? 0).toLocaleString('en-US')} holdout rows; ` +
        `label delay > 15 min (${pct(positives)} delayed)`,
    );
    const { experiment } = await dana.getOrCreateExperiment(opts.experimentName ?? 'flight-delays', { tags: { purpose: 'hangar demo: flight delays' } });

    const trainOne = async (
      learner: 'linear' | 'gbdt',
      runName: string,
      params: Record<string, unknown>,
      what: string,
      from: { data: LoadedData; trainingSetId: string; featureSpec: string } = { data, trainingSetId: prepared.train.id, featureSpec: prepared.featureSpec },
    ): Promise<TrainResult & { version: number }> => {
      const r = await trainRun(dana, experiment.experimentId, from.data, {
        learner,
        params,
        runName,
        register: modelName,
        threads: opts.threads,
        tags: { 'hangar.training_set': from.trainingSetId },
      });
      // The look-ups go with the model, so scoring needs only the keys and the departure time.
      await dana.putArtifact(r.artifactUri, FEATURE_SPEC_FILE, from.featureSpec);
      const version = Number(r.registered!.version);
      // Documentation and ownership, which the compliance checks require.
      await dana.updateModelVersion(modelName, version, `${what} predicting whether a US flight departs more than 15 minutes late (hangar demo).`);
      await dana.setModelVersionTag(modelName, version, 'owner', 'dana');
      await dana.setModelVersionTag(modelName, version, 'use_case', 'flight-delay-alerts');
      log(`train       ${what}: run ${r.runId.slice(0, 8)}…, holdout AUC ${fmt(r.metrics.auc)}, log loss ${fmt(r.metrics.log_loss)} → ${modelName} v${version}`);
      return { ...r, version };
    };
    const baseline = await trainOne('linear', 'baseline-logistic', {}, 'Baseline logistic regression');
    const candidate = await trainOne('gbdt', 'gbdt', GBDT_PARAMS, 'Gradient-boosted trees');

    // --- prod CD: compliance checks ---------------------------------------------------------------
    const compliance: ComplianceReport[] = [];
    const checkCompliance = async (v: number): Promise<void> => {
      const report = runComplianceChecks(await loadComplianceSubject(sam, `models:/${modelName}/${v}`), project.compliance);
      await recordComplianceReport(sam, report);
      compliance.push(report);
      const failed = report.checks.filter((c) => c.status === 'FAIL');
      log(
        `compliance  v${v}: ${report.checks.filter((c) => c.status === 'PASS').length}/${report.checks.length} rules pass` +
          (failed.length === 0 ? ` (${report.checks.map((c) => c.rule).join(', ')})` : `; FAILED ${failed.map((c) => `${c.rule}: ${c.reason}`).join('; ')}`),
      );
    };
    for (const v of [baseline.version, candidate.version]) await checkCompliance(v);

    const holdoutData = { evaluate: dataEvaluator(sam, prepared.holdout.localPath, 'delayed'), label: 'flights April 16–30 2001 holdout', short: 'the April 16–30 holdout' };
    const gateFor = (version: number, on: typeof holdoutData = holdoutData) =>
      runGate(sam, {
        modelUri: `models:/${modelName}/${version}`,
        evaluate: on.evaluate,
        settings: project.validation,
        dataLabel: on.label,
        onCompleted: (e) => sam.emitEvent('validation.completed', { ...e }),
      });
    const championOf = async (): Promise<number | null> => (await sam.getRegisteredModel(modelName)).aliases.find((a) => a.alias === 'champion')?.version ?? null;

    // A fresh registry has no production model: the baseline goes first, as a team's first model would.
    let previousChampion = await championOf();
    const compliant = (v: number): boolean => compliance.find((r) => r.version === v)?.passed === true;
    if (previousChampion === null) {
      const g = await gateFor(baseline.version);
      if (!compliant(baseline.version)) {
        log(`deploy      v${baseline.version} (baseline) not deployed: its compliance checks failed, which blocks promotion`);
      } else if (g.passed) {
        await deployVersion(sam, modelName, baseline.version);
        log(`deploy      v${baseline.version} (baseline) passed the gate with no champion to compare → champion, Production`);
      } else {
        log(`deploy      v${baseline.version} (baseline) failed the gate: ${g.validation!.message}`);
      }
      previousChampion = await championOf();
    }

    const gateAndPromote = async (version: number, on: typeof holdoutData = holdoutData): Promise<{ gate: GateResult; promoted: boolean }> => {
      // --- prod CD: compare staging vs production on the same data ----------------------------------
      const gate = await gateFor(version, on);
      const auc = gate.validation!.metrics.find((m) => m.metric === 'roc_auc');
      const against = gate.baseline === null ? 'no champion' : `champion v${gate.baseline.version} ${fmt(auc?.baseline)}`;
      log(`gate        v${version}: roc_auc ${fmt(auc?.candidate)} vs ${against} → ${gate.status}${gate.passed ? ', alias challenger' : ''}`);
      log(`            validation run ${gate.runLink}`);
      if (!gate.passed) log(`            ${gate.validation!.message.split('\n').join('\n            ')}`);

      // --- prod CD: request the transition, and its approval -----------------------------------------
      let promoted = false;
      if (gate.passed && !compliant(version)) {
        // Run outside a project with a lockfile, say: the checks do their job and the demo stops short.
        log(`request     none: v${version}'s compliance checks failed, which blocks promotion (see above)`);
      } else if (gate.passed) {
        const gain = auc?.baseline === undefined || auc.candidate === undefined ? '' : ` (AUC ${fmt(auc.candidate)} vs ${fmt(auc.baseline)})`;
        const request = await dana.governance.createTransitionRequest(
          modelName,
          version,
          'Production',
          `Passed the gate against the champion on ${on.short}${gain}. Validation run: ${gate.runLink}`,
        );
        log(`request     dana asks to move v${version} to Production (request ${request.id})`);
        await sam.governance.approveTransitionRequest(modelName, version, 'Production', {
          archiveExistingVersions: true,
          comment: 'Compliance checks and validation gate passed. (Approved by the hangar demo, standing in for a person.)',
        });
        promoted = true;
        log(`approve     sam approves (the demo standing in for a person): v${version} → Production, previous Production version archived`);
        // The deployment step proper (MLOps Stacks' deploy task): champion set, challenger cleared.
        const d = await deployVersion(sam, modelName, version);
        log(`deploy      v${d.version} is champion${d.challengerRemoved ? '; challenger alias removed' : ''}`);
      }
      return { gate, promoted };
    };
    const { gate, promoted } = await gateAndPromote(candidate.version);

    const champion = await championOf();
    const mv: ModelVersion = await sam.getModelVersion(modelName, candidate.version);
    log(`registry    ${modelName}: champion v${champion ?? '-'}, v${candidate.version} is ${mv.currentStage}${previousChampion !== null && previousChampion !== champion ? `, v${previousChampion} archived` : ''}`);

    // --- the activity log of the promoted version ----------------------------------------------------
    log(`activity    ${modelName} v${candidate.version}:`);
    for (const a of await sam.governance.listActivities(modelName, candidate.version)) {
      const move = a.fromStage !== undefined || a.toStage !== undefined ? ` ${a.fromStage ?? '?'} → ${a.toStage ?? '?'}` : '';
      const alias = a.alias === undefined ? '' : ` @${a.alias}`;
      const comment = a.comment === undefined ? '' : `  "${a.comment.length > 90 ? `${a.comment.slice(0, 89)}…` : a.comment}"`;
      log(`            ${new Date(a.creationTimestamp).toISOString().slice(11, 19)}  ${a.activityType.padEnd(20)} ${a.userId.padEnd(9)}${move}${alias}${comment}`);
    }
    const result: MainJobResult = { modelName, baseline, candidate, compliance, gate, previousChampion, champion, promoted };
    if (opts.replay === false) return result;

    // --- prod: serve, replay May–June as traffic, monitor, and retrain when the rule fires ------------
    // A home where an earlier run went past May 1 cannot replay it faithfully: its online store holds
    // June's features (a store never goes back to older rows) and its champion may have trained on May–June.
    const online = new OnlineFeaturesClient({ trackingUri: admin.trackingUri, maxRetries: 2, backoffMs: 100 });
    const ahead = (await online.tables()).tables.filter((t) => prepared.tables.some((p) => p.name === t.name) && (t.materializedEnd ?? 0) > Date.parse(REPLAY_START));
    if (ahead.length > 0) {
      log(
        `replay      skipped: this home's online store already holds features after May 1 (${ahead.map((t) => `${t.name} up to ${new Date(t.materializedEnd!).toISOString().slice(0, 10)}`).join(', ')}), ` +
          `left by an earlier run; replay May–June in a fresh home (--home DIR)`,
      );
      return result;
    }
    // The rule's threshold comes from what is known before the replay: the champion's AUC on the
    // April holdout, minus one standard error of the AUC of one day of traffic.
    const trafficEvery = opts.trafficEvery ?? every * 5;
    const holdoutRows = data.holdout?.frame.rows ?? 0;
    const holdoutPositives = data.holdout === undefined ? 0 : data.holdout.labels.reduce((a, y) => a + y, 0) / Math.max(holdoutRows, 1);
    const dailyRows = (holdoutRows * every) / trafficEvery / HOLDOUT_DAYS;
    let threshold = opts.aucThreshold;
    if (threshold === undefined) {
      // The champion's holdout AUC: from its training run when this job trained it, else as the gate scored it on the holdout.
      const gateAuc = gate.validation?.metrics.find((m) => m.metric === 'roc_auc');
      const auc =
        champion === candidate.version ? candidate.metrics.auc : champion === baseline.version ? baseline.metrics.auc : gate.baseline?.version === champion ? gateAuc?.baseline : undefined;
      if (auc === undefined) throw new HangarError('INVALID_PARAMETER_VALUE', 'The champion has no holdout AUC to derive the retraining threshold from; pass aucThreshold.', { field: 'aucThreshold' });
      const se = aucStandardError(auc, dailyRows * holdoutPositives, dailyRows * (1 - holdoutPositives));
      threshold = Number((auc - AUC_MARGIN_SE * se).toFixed(3));
      log(
        `threshold   AUC < ${threshold}: champion v${champion}'s AUC on the April 16–30 holdout ${fmt(auc)} minus ${AUC_MARGIN_SE} standard error (${fmt(se)}) of the AUC of one day of traffic ` +
          `(≈ ${Math.round(dailyRows)} flights, ${pct(holdoutPositives)} delayed; Hanley–McNeil), all known before May 1`,
      );
    } else {
      log(`threshold   AUC < ${threshold} (given)`);
    }
    if (!(threshold > 0 && threshold < 1)) throw new HangarError('INVALID_PARAMETER_VALUE', `aucThreshold must be between 0 and 1, got ${threshold}`, { field: 'aucThreshold' });

    const features = new FeaturesClient({ trackingUri: admin.trackingUri, maxRetries: 2, backoffMs: 100 });
    const lookups = flightLookups(MODEL_TABLES);
    // The drift baseline: one in BASELINE_EVERY of the training rows (the same flights, fewer of them), so each evening's run stays quick.
    const baselineSet = await features.createTrainingSet({ labels: labelsSql(`date < '${HOLDOUT_START}'::TIMESTAMP`, every * BASELINE_EVERY), lookups });
    log(`baseline    drift baseline ${baselineSet.id.slice(0, 10)}…: ${baselineSet.rowCount.toLocaleString('en-US')} training flights (1 in ${BASELINE_EVERY} of the training rows)`);
    const retrained: NonNullable<MainJobResult['retrained']> = [];
    const onAlert = async (alert: ReplayAlert): Promise<AlertOutcome> => {
      const below = ((alert.detail.windows ?? []) as Array<{ start: number; model_id: string; value: number | null; violated?: boolean }>)
        .filter((w) => w.violated === true)
        .sort((a, b) => a.start - b.start);
      const days = below.map((w) => `${new Date(w.start).toISOString().slice(0, 10)} (v${w.model_id})`).join(', ');
      // A new champion is judged on the days it served: windows of the model it replaced do not count against it.
      const current = String(await championOf());
      const own = below.filter((w) => w.model_id === current).length;
      if (own < 2) {
        log(`alert       auc-2-of-5 fired on ${alert.day} (${alert.alertId}): daily AUC below ${threshold} on ${days}; only ${own} of them served by the champion v${current}: no retraining`);
        return { promoted: null };
      }
      log(`alert       auc-2-of-5 fired on ${alert.day} (${alert.alertId}): daily AUC below ${threshold} on ${days}; retraining starts`);
      // Retrain on everything labelled so far; gate on the last two labelled weeks (rows the training never saw).
      const through = new Date(alert.labelledThrough).toISOString();
      const recentFrom = new Date(alert.labelledThrough - 14 * 86_400_000).toISOString();
      const retrainSet = await features.createTrainingSet({ labels: labelsSql(`date < '${through}'::TIMESTAMP`, every), lookups });
      const recentSet = await features.createTrainingSet({ labels: labelsSql(`date >= '${recentFrom}'::TIMESTAMP and date < '${through}'::TIMESTAMP`, every, 1), lookups });
      const retrainData = await loadTrainingData({ data: await trainingSetFile(admin, retrainSet), holdout: await trainingSetFile(admin, recentSet), target: 'delayed', exclude: ['date'] });
      log(
        `retrain     training set ${retrainSet.id.slice(0, 10)}…: ${retrainSet.rowCount.toLocaleString('en-US')} flights through ${alert.day} (1 in ${every}); ` +
          `gate data: ${recentSet.rowCount.toLocaleString('en-US')} other flights of the last 14 labelled days`,
      );
      const model = await trainOne('gbdt', 'gbdt-retrained', GBDT_PARAMS, 'Gradient-boosted trees retrained after the alert', {
        data: retrainData,
        trainingSetId: retrainSet.id,
        featureSpec: featureSpecYaml({ id: retrainSet.id, spec: retrainSet.request as never, lineage: retrainSet.lineage as never }),
      });
      await dana.setModelVersionTag(modelName, model.version, 'retrained_after_alert', alert.alertId);
      await checkCompliance(model.version);
      const recent = {
        evaluate: dataEvaluator(sam, await trainingSetFile(admin, recentSet), 'delayed'),
        label: `flights of the 14 days before ${through.slice(0, 10)}`,
        short: `the 14 labelled days before ${through.slice(0, 10)}`,
      };
      const outcome = await gateAndPromote(model.version, recent);
      retrained.push({
        version: model.version,
        runId: model.runId,
        trainRows: model.rows.train,
        alertDay: alert.day,
        compliance: compliance.find((r) => r.version === model.version)!,
        gate: outcome.gate,
        promoted: outcome.promoted,
      });
      const now = await championOf();
      log(`registry    ${modelName}: champion v${now ?? '-'}${outcome.promoted ? ` (the retrained v${model.version}); serving follows the alias from tomorrow morning, the replay goes on` : `; the retrained v${model.version} stays out of production`}`);
      return { promoted: outcome.promoted ? String(model.version) : null };
    };

    const replay = await replayTraffic(admin, {
      modelName,
      dataPath,
      every: trafficEvery,
      tables: prepared.tables.map((t) => t.name),
      baselinePath: await trainingSetFile(admin, baselineSet),
      aucThreshold: threshold,
      onAlert,
      log,
    });
    result.replay = replay;
    result.aucThreshold = threshold;
    if (retrained.length > 0) result.retrained = retrained;
    // Drift against the training set: PSI of two looked-up features and of the departure hour.
    const driftCols: Array<[string, string]> = [
      ['origin_delay_rate_7d', 'PSI origin rate'],
      ['route_delay_rate_7d', 'PSI route rate'],
      ['hour', 'PSI hour'],
    ];
    const fired = new Set(replay.alerts.map((a) => a.day));
    const swapped = new Map(replay.swaps.map((s) => [s.day, s]));
    log(`windows     day         rows  AUC    served by  ${driftCols.map(([, h]) => h.padEnd(16)).join('')}`);
    for (const w of replay.windows) {
      const below = w.auc !== null && w.auc < threshold ? `AUC < ${threshold}` : '';
      const by = Object.keys(w.versions)
        .sort((a, b) => Number(a) - Number(b))
        .map((v) => `v${v}`)
        .join('+');
      const notes = [below, fired.has(w.day) ? 'alert fired' : '', swapped.has(w.day) ? `swap v${swapped.get(w.day)!.from} → v${swapped.get(w.day)!.to}` : ''].filter((x) => x !== '').join('; ');
      log(`            ${w.day}  ${String(w.rows).padStart(4)}  ${fmt(w.auc ?? undefined, 3).padEnd(5)}  ${by.padEnd(9)}  ${driftCols.map(([c]) => fmt(w.drift[c]?.value ?? undefined, 3).padEnd(16)).join('')}${notes}`);
    }
    if (replay.alerts.length === 0) log(`alert       none: the daily AUC stayed at or above ${threshold} often enough over ${replay.days.length} days; no retraining`);
    result.champion = await championOf();
    log(
      `registry    ${modelName}: champion v${result.champion ?? '-'} at the end of the replay; ` +
        `${replay.alerts.length} alert(s), ${retrained.filter((r) => r.promoted).length} retrained version(s) promoted, ${replay.failed} failed request(s)`,
    );
    return result;
  } finally {
    // The demo's people leave; their tokens go with them.
    await admin.governance.revokeToken(scientistToken.info.tokenId).catch(() => undefined);
    await admin.governance.revokeToken(engineerToken.info.tokenId).catch(() => undefined);
  }
}
