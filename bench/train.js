// `npm run bench -- train`: `hangar train` on US flights (vega-datasets flights-3m.parquet,
// January–June 2001), side by side with scikit-learn's HistGradientBoostingClassifier.
//   Label: delay > 15. Features: the departure's hour and weekday (Hangar's date parts of
//   `date`), distance, origin and destination (categorical). Month and day of month are left
//   out (--exclude date_month,date_day): the holdout month never occurs in training, so trees
//   score June as May; with them scikit-learn's holdout AUC drops from 0.678 to 0.637 (600k
//   training rows). Minute of the hour would add about 0.01 more; it is not a date part yet.
//   Train: the first 2,000,000 rows in date order (January to early May). Holdout: June.
//   GBDT: 100 trees, max_depth 6, max_leaf_nodes 31, learning_rate 0.1, no early stopping.
// Figures:
//   train_wall_s             the whole `hangar train` process (start, load, fit, evaluate, track), s
//   holdout_auc              ROC AUC on June
//   fit_s / load_s / evaluate_s / other_s   the command's phases, s
//   batch_predict_rows_per_s model.predict on the June rows (typed-array frame)
//   single_row_predict_us    model.predict on a one-row frame
// With scikit-learn present (/usr/bin/python3): `peer` is scikit-learn's figure and `ratio` is
// Hangar's advantage (peer time / Hangar time; Hangar throughput or AUC / peer's). The peer's
// wall time counts reading the prepared CSV with pandas (pandas here cannot read Parquet, so
// DuckDB exports the same rows and features to CSV first, untimed); its fit time is separate.
// BENCH_TRAIN_ROWS overrides the 2,000,000 training rows (e.g. for a quick look).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, machine, run, startHangar } from './_lib.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin/hangar.js');
const flights = join(root, 'node_modules/vega-datasets/data/flights-3m.parquet');
const trainRows = Number(process.env.BENCH_TRAIN_ROWS ?? 2_000_000);
const columns = `date, distance, origin, destination, delay > 15 as late`;
const trainSql = `select ${columns} from '${flights}' order by date limit ${trainRows}`;
const holdoutSql = `select ${columns} from '${flights}' where month(date) = 6`;
const gbdt = { max_iter: 100, max_depth: 6, max_leaf_nodes: 31, learning_rate: 0.1, early_stopping: false };

const { readTable, toFeatureFrame } = await import('../dist/data/index.js');
const { tabularModelFromJSON } = await import('../dist/models/learners/index.js');
const { HangarClient } = await import('../dist/client/index.js');
const { loadModel } = await import('../dist/models/sdk.js');

const server = await startHangar();
const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-train-'));
try {
  // --- Hangar: the whole command, as a user runs it ---------------------------------------
  const t0 = performance.now();
  const stdout = await run(process.execPath, [
    bin, 'train', '--data', trainSql, '--holdout', holdoutSql, '--target', 'late', '--exclude', 'date_month,date_day',
    ...Object.entries(gbdt).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
    '--experiment', 'bench-train', '--tracking-uri', server.url, '--json',
  ]);
  const wall = (performance.now() - t0) / 1000;
  const result = JSON.parse(stdout);

  // --- Hangar: prediction speed, in process, on the model the run logged ------------------
  const client = new HangarClient({ trackingUri: server.url });
  // The package is wherever the run logged it (under the run's artifacts, or a LoggedModel's).
  const loaded = await loadModel(client, result.model_uri);
  const model = tabularModelFromJSON(JSON.parse(readFileSync(join(loaded.dir, 'model.json'), 'utf8')));
  await loaded.close();
  // Encoded with the model's categories, as serving encodes requests (tableToFrame with the schema).
  const categories = Object.fromEntries(model.schema.filter((s) => s.kind === 'categorical').map((s) => [s.name, s.categories]));
  const holdout = toFeatureFrame(await readTable(holdoutSql), { target: 'late', exclude: ['date_month', 'date_day'], classLabels: model.classLabels, categories });
  model.predict(holdout.frame); // warm-up
  const reps = 3;
  const tb = performance.now();
  for (let i = 0; i < reps; i++) model.predict(holdout.frame);
  const batchRowsPerS = (reps * holdout.frame.rows) / ((performance.now() - tb) / 1000);
  const one = {
    rows: 1,
    features: holdout.frame.features.map((f) => (f.kind === 'numeric' ? { ...f, values: f.values.slice(0, 1) } : { ...f, codes: f.codes.slice(0, 1) })),
  };
  for (let i = 0; i < 2000; i++) model.predict(one);
  const singles = 20_000;
  const ts = performance.now();
  for (let i = 0; i < singles; i++) model.predict(one);
  const singleUs = ((performance.now() - ts) * 1000) / singles;

  // --- The peer: scikit-learn on the same rows and features ------------------------------
  let peer = null;
  const python = '/usr/bin/python3';
  const hasSklearn = spawnSync(python, ['-c', 'import sklearn, pandas'], { stdio: 'ignore' }).status === 0;
  if (hasSklearn) {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    const prepared = (sql) => `select hour(date) as date_hour, dayofweek(date) as date_weekday, distance, origin, destination, late::INTEGER as late from (${sql})`;
    await con.run(`copy (${prepared(trainSql)}) to '${join(dir, 'train.csv')}' (header true)`);
    await con.run(`copy (${prepared(holdoutSql)}) to '${join(dir, 'holdout.csv')}' (header true)`);
    con.closeSync();
    db.closeSync();
    const script = join(dir, 'peer.py');
    writeFileSync(
      script,
      `
import json, sys, time
t0 = time.perf_counter()
import numpy as np, pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
d = sys.argv[1]
train = pd.read_csv(d + '/train.csv')
test = pd.read_csv(d + '/holdout.csv')
for c in ('origin', 'destination'):
    cats = pd.Categorical(train[c]).categories
    train[c] = pd.Categorical(train[c], categories=cats).codes.astype('float64')
    test[c] = pd.Categorical(test[c], categories=cats).codes.astype('float64')
    train.loc[train[c] < 0, c] = np.nan
    test.loc[test[c] < 0, c] = np.nan
features = ['date_hour', 'date_weekday', 'distance', 'origin', 'destination']
X, y = train[features], train['late']
Xt, yt = test[features], test['late']
t1 = time.perf_counter()
clf = HistGradientBoostingClassifier(max_iter=100, max_depth=6, max_leaf_nodes=31, learning_rate=0.1,
    early_stopping=False, categorical_features=[3, 4], random_state=0)
clf.fit(X, y)
t2 = time.perf_counter()
p = clf.predict_proba(Xt)[:, 1]
t3 = time.perf_counter()
auc = roc_auc_score(yt, p)
one = Xt.iloc[:1]
for _ in range(20): clf.predict_proba(one)
n = 200
t4 = time.perf_counter()
for _ in range(n): clf.predict_proba(one)
single_us = (time.perf_counter() - t4) / n * 1e6
print(json.dumps({'wall_s': t3 - t0, 'load_s': t1 - t0, 'fit_s': t2 - t1, 'auc': auc,
    'batch_rows_per_s': len(Xt) / (t3 - t2), 'single_us': single_us}))
`,
    );
    peer = JSON.parse(await run(python, [script, dir]));
  }

  const timings = result.timings_ms;
  const extra = (key, better) => (peer ? { peer: Math.round(peer[key] * 10000) / 10000, ratio: Math.round(better * 1000) / 1000 } : {});
  emit('train', 'train_wall_s', wall, 's', { rows: result.rows.train, trees: gbdt.max_iter, machine: machine(), ...extra('wall_s', peer ? peer.wall_s / wall : 0) });
  // emit() keeps two decimals, too few for an AUC.
  console.log(JSON.stringify({ bench: 'train', metric: 'holdout_auc', value: Math.round(result.metrics.auc * 10000) / 10000, unit: '', holdout_rows: result.rows.holdout, ...extra('auc', peer ? result.metrics.auc / peer.auc : 0) }));
  emit('train', 'fit_s', timings.fitMs / 1000, 's', extra('fit_s', peer ? peer.fit_s / (timings.fitMs / 1000) : 0));
  emit('train', 'load_s', timings.loadMs / 1000, 's', extra('load_s', peer ? peer.load_s / (timings.loadMs / 1000) : 0));
  emit('train', 'evaluate_s', timings.evaluateMs / 1000, 's');
  // The rest of the command: process start, tracking calls, saving and uploading the model.
  emit('train', 'other_s', wall - (timings.loadMs + timings.fitMs + timings.evaluateMs) / 1000, 's');
  emit('train', 'batch_predict_rows_per_s', batchRowsPerS, '1/s', { rows: holdout.frame.rows, ...extra('batch_rows_per_s', peer ? batchRowsPerS / peer.batch_rows_per_s : 0) });
  emit('train', 'single_row_predict_us', singleUs, 'µs', extra('single_us', peer ? peer.single_us / singleUs : 0));
  if (!peer) console.error('scikit-learn not found at /usr/bin/python3: no peer figures');
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
