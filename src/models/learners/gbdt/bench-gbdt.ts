/**
 * A hand-run benchmark of the gbdt learner on synthetic data shaped like the flights benchmark
 * (numeric date parts and distance, two ~300-category airports, a binary label):
 *
 *   npm run build && node dist/models/learners/gbdt/bench-gbdt.js [rows] [threads]
 *
 * Prints one JSON line per figure. The real-data benchmark is `npm run bench -- train`.
 */
import type { FeatureFrame } from '../types.js';
import { gbdtLearner } from './learner.js';
import { GBDT_DEFAULTS } from './params.js';
import { Rng } from './rng.js';
import type { GbdtModel } from './tree-model.js';

/** Synthetic rows: a label whose log-odds mixes every feature, airports included, plus noise. */
export function syntheticFlights(rows: number, seed: number): { frame: FeatureFrame; labels: Float64Array } {
  const rng = new Rng(seed);
  const airports = Array.from({ length: 300 }, (_, i) => `A${i}`);
  const effect = Float64Array.from(airports, () => rng.next() * 2 - 1);
  const month = new Float64Array(rows);
  const dow = new Float64Array(rows);
  const hour = new Float64Array(rows);
  const distance = new Float64Array(rows);
  const origin = new Int32Array(rows);
  const dest = new Int32Array(rows);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    month[r] = 1 + rng.below(5);
    dow[r] = rng.below(7);
    hour[r] = 5 + rng.next() * 19;
    distance[r] = rng.next() < 0.01 ? NaN : Math.round(100 + 2500 * rng.next() ** 2);
    // Skewed airport popularity, as real traffic is.
    origin[r] = Math.floor(300 * rng.next() ** 2);
    dest[r] = Math.floor(300 * rng.next() ** 2);
    const z = -1.6 + 0.08 * (hour[r]! - 12) + 0.3 * Math.sin(dow[r]!) + 0.15 * (month[r]! === 3 ? 1 : 0) + 0.5 * effect[origin[r]!]! + 0.3 * effect[dest[r]!]! + (distance[r]! > 1500 ? 0.2 : 0);
    labels[r] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  }
  return {
    frame: {
      rows,
      features: [
        { name: 'month', kind: 'numeric', values: month },
        { name: 'day_of_week', kind: 'numeric', values: dow },
        { name: 'hour', kind: 'numeric', values: hour },
        { name: 'distance', kind: 'numeric', values: distance },
        { name: 'origin', kind: 'categorical', codes: origin, categories: airports },
        { name: 'destination', kind: 'categorical', codes: dest, categories: airports },
      ],
    },
    labels,
  };
}

export function auc(scores: Float64Array, labels: Float64Array): number {
  const order = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && scores[order[j]!] === scores[order[i]!]) j++;
    const avgRank = (i + j + 1) / 2;
    for (let t = i; t < j; t++) if (labels[order[t]!] === 1) {
      rankSum += avgRank;
      pos++;
    }
    i = j;
  }
  const neg = order.length - pos;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 2_000_000);
  const threads = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const train = syntheticFlights(rows, 1);
  const test = syntheticFlights(200_000, 2);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const model = (await gbdtLearner.fit(train.frame, train.labels, {
    problem: 'binary',
    params: { ...GBDT_DEFAULTS, max_iter: 100, max_leaf_nodes: 31, max_depth: 6, learning_rate: 0.1, early_stopping: false },
    ...(threads === undefined ? {} : { threads }),
  })) as GbdtModel;
  const fitS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // CPU seconds of every thread too: on a shared machine they show the work when wall time does not.
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ figure: 'gbdt_fit_seconds', rows, threads: threads ?? 'auto', value: Number(fitS.toFixed(3)), cpu_seconds: Number(cpuS.toFixed(3)) }));

  // Steady state, as a server sees it: the first calls compile and optimise the scorer.
  let scores = model.predict(test.frame);
  for (let i = 0; i < 3; i++) scores = model.predict(test.frame);
  const t1 = performance.now();
  const predReps = 5;
  for (let i = 0; i < predReps; i++) scores = model.predict(test.frame);
  const predS = (performance.now() - t1) / 1000 / predReps;
  console.log(JSON.stringify({ figure: 'gbdt_batch_predict_rows_per_second', rows: test.frame.rows, value: Math.round(test.frame.rows / predS) }));
  console.log(JSON.stringify({ figure: 'gbdt_holdout_auc', value: Number(auc(scores, test.labels).toFixed(4)) }));

  const row = new Float64Array(6);
  const out = new Float64Array(1);
  const reps = 100_000;
  let sink = 0;
  for (let i = 0; i < 10_000; i++) sink += model.scoreRow(row, out);
  const t2 = performance.now();
  for (let i = 0; i < reps; i++) {
    const r = i % test.frame.rows;
    for (let f = 0; f < 6; f++) {
      const feat = test.frame.features[f]!;
      row[f] = feat.kind === 'numeric' ? feat.values[r]! : feat.codes[r]!;
    }
    sink += model.scoreRow(row, out);
  }
  const usPerRow = ((performance.now() - t2) * 1000) / reps;
  console.log(JSON.stringify({ figure: 'gbdt_single_row_microseconds', value: Number(usPerRow.toFixed(2)), check: sink > 0 }));
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) await main();
