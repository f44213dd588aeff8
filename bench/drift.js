// `npm run bench -- drift`: `hangar monitor drift` on two CSV files of 1,000,000 rows ×
// (20 numeric + 5 categorical) columns, loading included, side by side with pandas + scipy.
//   Data: generated from a fixed seed into a temp dir (not timed): normals, log-normals,
//   uniforms, integer counts, one column with 2% missing; 10-, 3-, 5-, 2- and 60-category
//   strings. The current file shifts 6 numeric columns by 0.15 (in their own units) and the
//   mix of 2 categorical ones, so 8 of 25 columns drift and the dataset does not (share < 0.5).
// Figures (one JSON line each):
//   drift_wall_s                the whole `hangar monitor drift --json` process, default methods
//                               (Wasserstein normed / Jensen–Shannon at 1M rows), target ≤ 5 s
//   drift_load_s, drift_stats_s its two phases, as the command reports them
//   drift_cpu_s                 CPU seconds of the two phases over all threads (DuckDB's and the
//                               workers'); steadier than wall time on a busy machine
//   drift_scipy_methods_wall_s  the same command forcing ks on numbers and chisquare on
//                               categories (the statistics scipy computes); peer = pandas
//                               read_csv + scipy ks_2samp, wasserstein_distance and chisquare
//                               per column (same run), ratio = peer / Hangar
//   peer_load_s, peer_stats_s   the peer's phases
//   max_rel_diff_statistic      largest relative difference between Hangar's and scipy's KS
//                               statistics, normed Wasserstein distances and χ² statistics
//   max_rel_diff_pvalue         the same over KS and χ² p-values above 1e-300 (both below
//                               count as equal)
//   load_average_1m             the machine's load when the run ended (figures are noisy under load)
// BENCH_DRIFT_ROWS overrides the row count; BENCH_DRIFT_DIR keeps the files in (and reuses
// them from) that folder; BENCH_DRIFT_ONLY_DATA=1 only writes the files.
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, machine, run } from './_lib.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = join(root, 'bin/hangar.js');
const ROWS = Number(process.env.BENCH_DRIFT_ROWS ?? 1_000_000);

/** The project's seeded generator (mulberry32), uniform in [0, 1). */
const { mulberry32: rng } = await import('../dist/core/random.js');

const CITIES = ['SFO', 'LAX', 'JFK', 'ORD', 'ATL', 'DFW', 'DEN', 'SEA', 'BOS', 'MIA'];
const PLANS = ['free', 'basic', 'pro'];
const DEVICES = ['ios', 'android', 'web', 'tv', 'car'];
const FLAGS = ['paid', 'unpaid'];
const SKUS = Array.from({ length: 60 }, (_, i) => `sku-${String(i).padStart(3, '0')}`);

/**
 * The columns: [name, generator(u, normal, shifted)]. Numeric: normals, log-normals, uniforms,
 * integers with few and many values, one with missing values. Shifted columns (current file
 * only) move their mean or their category mix.
 */
const SHIFTED = ['n01', 'n04', 'n09', 'n13', 'n17', 'n20', 'city', 'plan'];
function columns() {
  const cols = [];
  for (let k = 1; k <= 20; k++) {
    const name = `n${String(k).padStart(2, '0')}`;
    const shift = SHIFTED.includes(name);
    const kind = k % 5;
    cols.push([
      name,
      (u, z, cur) => {
        const s = cur && shift ? 0.15 : 0;
        switch (kind) {
          case 0: // normal with missing values
            return u() < 0.02 ? '' : (k + z() * (1 + k / 10) + s * (1 + k / 10)).toFixed(4);
          case 1: // log-normal
            return Math.exp(z() * 0.5 + s).toFixed(5);
          case 2: // uniform
            return (u() * 100 + s * 30).toFixed(3);
          case 3: // integers, many values
            return String(Math.floor(-Math.log(1 - u()) * (20 + s * 20)));
          default: // a plain normal
            return (z() + s).toFixed(6);
        }
      },
    ]);
  }
  const pick = (list, weights) => (u) => {
    let x = u() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < list.length; i++) if ((x -= weights[i]) < 0) return list[i];
    return list[list.length - 1];
  };
  const city = [pick(CITIES, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]), pick(CITIES, [6, 9, 8, 7, 6, 5, 4, 3, 3, 3])];
  const plan = [pick(PLANS, [6, 3, 1]), pick(PLANS, [5, 3, 2])];
  const device = pick(DEVICES, [4, 4, 3, 1, 1]);
  const flag = pick(FLAGS, [1, 3]);
  const sku = pick(SKUS, SKUS.map((_, i) => 1 / (i + 1)));
  cols.push(['city', (u, _z, cur) => city[cur ? 1 : 0](u)]);
  cols.push(['plan', (u, _z, cur) => plan[cur ? 1 : 0](u)]);
  cols.push(['device', (u) => device(u)]);
  cols.push(['flag', (u) => flag(u)]);
  cols.push(['sku', (u) => sku(u)]);
  return cols;
}

async function writeCsv(path, rows, seed, current) {
  const u = rng(seed);
  let spare = NaN;
  const z = () => {
    if (!Number.isNaN(spare)) {
      const s = spare;
      spare = NaN;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const t = 2 * Math.PI * u();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  const cols = columns();
  const out = createWriteStream(path);
  const write = (s) => (out.write(s) ? undefined : new Promise((r) => out.once('drain', r)));
  await write(`${cols.map(([n]) => n).join(',')}\n`);
  let buf = '';
  for (let i = 0; i < rows; i++) {
    let line = '';
    for (let c = 0; c < cols.length; c++) line += (c === 0 ? '' : ',') + cols[c][1](u, z, current);
    buf += `${line}\n`;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
}

/** Writes baseline.csv and current.csv into `dir`; returns their paths. */
async function makeDriftFiles(dir, rows = 1_000_000, seed = 20261126) {
  const baseline = join(dir, 'baseline.csv');
  const current = join(dir, 'current.csv');
  await writeCsv(baseline, rows, seed, false);
  await writeCsv(current, rows, seed + 1, true);
  return { baseline, current };
}


const PEER = `
import json, sys, time
t0 = time.perf_counter()
import numpy as np, pandas as pd
from scipy import stats
base = pd.read_csv(sys.argv[1])
cur = pd.read_csv(sys.argv[2])
t1 = time.perf_counter()
out = {}
for c in base.columns:
    if pd.api.types.is_numeric_dtype(base[c]) and base[c].dtype != bool:
        a = base[c].dropna().to_numpy(); b = cur[c].dropna().to_numpy()
        ks = stats.ks_2samp(a, b)
        w = stats.wasserstein_distance(a, b) / max(np.std(a), 0.001)
        out[c] = {'ks': float(ks.statistic), 'ks_p': float(ks.pvalue), 'wasserstein': float(w)}
    else:
        rc = base[c].dropna().astype(str).value_counts(); cc = cur[c].dropna().astype(str).value_counts()
        keys = sorted(set(rc.index) | set(cc.index))
        r = np.array([rc.get(k, 0) for k in keys], dtype=float); q = np.array([cc.get(k, 0) for k in keys], dtype=float)
        chi = stats.chisquare(q, r / r.sum() * q.sum())
        out[c] = {'chi2': float(chi.statistic), 'chi2_p': float(chi.pvalue)}
t2 = time.perf_counter()
print(json.dumps({'wall_s': t2 - t0, 'load_s': t1 - t0, 'stats_s': t2 - t1, 'columns': out}))
`;

const keep = process.env.BENCH_DRIFT_DIR;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'hangar-bench-drift-'));
try {
  if (keep) mkdirSync(keep, { recursive: true });
  let files = { baseline: join(dir, 'baseline.csv'), current: join(dir, 'current.csv') };
  if (!(keep && existsSync(files.baseline) && existsSync(files.current))) files = await makeDriftFiles(dir, ROWS);
  if (process.env.BENCH_DRIFT_ONLY_DATA === '1') {
    console.error(`wrote ${files.baseline} and ${files.current}`);
    process.exit(0);
  }
  const drift = async (extra) => {
    const t0 = performance.now();
    const out = await run(process.execPath, [bin, 'monitor', 'drift', '--baseline', files.baseline, '--current', files.current, '--json', ...extra]);
    return { wall: (performance.now() - t0) / 1000, report: JSON.parse(out) };
  };

  // --- Hangar, default methods ----------------------------------------------------------------
  const auto = await drift([]);
  emit('drift', 'drift_wall_s', auto.wall, 's', { rows: ROWS, columns: auto.report.columns_compared, drifted_columns: auto.report.drifted_columns, machine: machine() });
  emit('drift', 'drift_load_s', auto.report.timings_ms.load / 1000, 's');
  emit('drift', 'drift_stats_s', auto.report.timings_ms.stats / 1000, 's');
  // CPU seconds of both phases over all threads: at most 10 fits 5 s on 2 cores.
  emit('drift', 'drift_cpu_s', (auto.report.timings_ms.load_cpu + auto.report.timings_ms.stats_cpu) / 1000, 's', {
    load_cpu_s: auto.report.timings_ms.load_cpu / 1000,
    stats_cpu_s: auto.report.timings_ms.stats_cpu / 1000,
  });

  // --- Hangar with scipy's statistics, and the peer -----------------------------------------
  const methods = auto.report.columns.flatMap((c) => ['--method', `${c.column}=${c.type === 'numeric' ? 'ks' : 'chisquare'}`]);
  const same = await drift(methods);
  const python = '/usr/bin/python3';
  const hasScipy = spawnSync(python, ['-c', 'import scipy, pandas'], { stdio: 'ignore' }).status === 0;
  if (!hasScipy) {
    emit('drift', 'drift_scipy_methods_wall_s', same.wall, 's', { peer: null, note: `no peer: ${python} with pandas and scipy is missing` });
  } else {
    const script = join(dir, 'peer.py');
    writeFileSync(script, PEER);
    const peer = JSON.parse(await run(python, [script, files.baseline, files.current]));
    emit('drift', 'drift_scipy_methods_wall_s', same.wall, 's', { peer: Number(peer.wall_s.toFixed(2)), ratio: Number((peer.wall_s / same.wall).toFixed(2)) });
    emit('drift', 'peer_load_s', peer.load_s, 's');
    emit('drift', 'peer_stats_s', peer.stats_s, 's');
    const rel = (a, b) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
    const num = (v) => (typeof v === 'string' ? Number(v) : v);
    let maxStat = 0;
    let maxP = 0;
    let worst = '';
    const tiny = (p) => p < 1e-300;
    for (const [i, c] of same.report.columns.entries()) {
      const p = peer.columns[c.column];
      if (!p) throw new Error(`the peer did not compare column ${c.column}`);
      const pairs = c.type === 'numeric'
        ? [['ks', num(c.statistic), p.ks], ['wasserstein', num(auto.report.columns[i].statistic), p.wasserstein]]
        : [['chi2', num(c.statistic), p.chi2]];
      for (const [name, ours, theirs] of pairs) {
        const d = rel(ours, theirs);
        if (d > maxStat) [maxStat, worst] = [d, `${c.column} ${name}: ${ours} vs ${theirs}`];
      }
      const pv = c.type === 'numeric' ? p.ks_p : p.chi2_p;
      const ours = num(c.pvalue);
      if (!(tiny(ours) && tiny(pv))) maxP = Math.max(maxP, rel(ours, pv));
    }
    emit('drift', 'max_rel_diff_statistic', maxStat, 'ratio', { limit: 0.01, worst, precise: maxStat });
    emit('drift', 'max_rel_diff_pvalue', maxP, 'ratio', { precise: maxP });
  }
  emit('drift', 'load_average_1m', loadavg()[0], 'load');
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
