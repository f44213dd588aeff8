import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { column } from '../models/index.js';
import { openStore, type NewInferenceLogFile, type Store } from '../store/index.js';
import { listInferenceLogFiles, pruneInferenceLog, storeIndex } from './inference-files.js';
import { InferenceLog, type InferenceIndex, type LoggedModel } from './inference-log.js';

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hangar-inference-log-'));
  store = await openStore(`sqlite:///${join(dir, 'hangar.db')}`, { defaultArtifactRoot: join(dir, 'artifacts'), migrate: true });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function query(sql: string): Promise<Array<Record<string, unknown>>> {
  const duck = await import('@duckdb/node-api');
  const inst = await duck.DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJS() as Array<Record<string, unknown>>;
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

const one = (values: Record<string, unknown>) => ({
  rows: 1,
  logged: [1],
  proba: [0.75],
  inputs: new Map(Object.entries(values).map(([k, v]) => [k, [v]])),
});

describe('InferenceLog', () => {
  it('writes the contract columns, renames clashing inputs, types datetimes, and indexes each day', async () => {
    const root = join(dir, 'log-a');
    const model: LoggedModel = {
      name: 'clash',
      version: '4',
      predictionType: 'DOUBLE',
      columns: [column('status', 'string'), column('when', 'datetime'), column('n', 'long'), column('ok', 'boolean')],
    };
    const log = new InferenceLog({ root, index: storeIndex(store), flushIntervalMs: 3_600_000 });
    const day1 = Date.UTC(2026, 2, 1, 23, 59, 59, 500);
    const day2 = Date.UTC(2026, 2, 2, 0, 0, 1);
    log.append(model, 'r1', day1, 1.5, one({ status: 'gold', when: '2026-03-01T10:00:00Z', n: 7, ok: true }));
    log.append(model, 'r2', day2, 2.5, undefined, { rows: 1, inputs: new Map([['status', [null]], ['n', ['x']]]) });
    // A batch: rows told apart by position in the request id.
    log.append(model, 'r3', day2, 3, { rows: 2, logged: [0, 1], proba: [0.1, 0.9], inputs: new Map([['status', ['a', 'b']], ['n', [1, 2]]]) });
    expect(log.size).toBe(4);
    await log.close();
    expect(log.written).toBe(4);

    const files = await listInferenceLogFiles(store, { model: 'clash', kind: 'predictions' });
    expect(files.map((f) => [f.day, f.rows])).toEqual([
      ['2026-03-01', 1],
      ['2026-03-02', 3],
    ]);
    expect(files[0]!.minTs).toBe(day1);
    expect(files[0]!.path).toMatch(new RegExp(`${root}/clash/date=2026-03-01/\\d+-\\d+\\.parquet$`));
    const types = await query(`describe select * from read_parquet('${files[0]!.path}', hive_partitioning = false)`);
    expect(types.map((t) => `${String(t.column_name)} ${String(t.column_type)}`)).toEqual([
      'timestamp TIMESTAMP',
      'arrival_timestamp TIMESTAMP',
      'request_id VARCHAR',
      'model_name VARCHAR',
      'model_version VARCHAR',
      'status VARCHAR',
      'latency_ms DOUBLE',
      'prediction DOUBLE',
      'prediction_proba DOUBLE',
      'input_status VARCHAR',
      'when TIMESTAMP',
      'n BIGINT',
      'ok BOOLEAN',
    ]);
    const [first] = await query(`select epoch_ms("timestamp")::DOUBLE as ts, n::DOUBLE as n, * exclude ("timestamp", n) from read_parquet('${files[0]!.path}', hive_partitioning = false)`);
    expect(first).toMatchObject({ ts: day1, request_id: 'r1', model_name: 'clash', model_version: '4', status: 'OK', latency_ms: 1.5, prediction: 1, prediction_proba: 0.75, input_status: 'gold', n: 7, ok: true });
    const rest = await query(`select request_id, status, prediction, input_status, n::DOUBLE as n from read_parquet('${files[1]!.path}', hive_partitioning = false) order by request_id`);
    expect(rest).toEqual([
      { request_id: 'r2', status: 'ERROR', prediction: null, input_status: null, n: null },
      { request_id: 'r3/0', status: 'OK', prediction: 0, input_status: 'a', n: 1 },
      { request_id: 'r3/1', status: 'OK', prediction: 1, input_status: 'b', n: 2 },
    ]);
  });

  it('keeps the event time and the arrival time; files split by the event day and are indexed by event time', async () => {
    const root = join(dir, 'log-event');
    const model: LoggedModel = { name: 'replayed', version: '1', predictionType: 'DOUBLE', columns: [column('x', 'double')] };
    const log = new InferenceLog({ root, index: storeIndex(store), flushIntervalMs: 3_600_000 });
    const arrival = Date.UTC(2026, 10, 26, 12, 0, 0);
    const may1 = Date.UTC(2001, 4, 1, 8, 5);
    const may2 = Date.UTC(2001, 4, 2, 23, 30);
    // One request whose two rows happened on different days, one with a single event time, one without.
    log.append(model, 'a', { event: Float64Array.of(may1, may2), arrival }, 1, { rows: 2, logged: [1, 2], proba: undefined, inputs: new Map([['x', [1, 2]]]) });
    log.append(model, 'b', { event: may1 + 60_000, arrival: arrival + 1 }, 1, one({ x: 3 }));
    log.append(model, 'c', arrival + 2, 1, one({ x: 4 }));
    await log.close();
    const files = await listInferenceLogFiles(store, { model: 'replayed', kind: 'predictions' });
    expect(files.map((f) => [f.day, f.rows, f.minTs, f.maxTs])).toEqual([
      ['2001-05-01', 2, may1, may1 + 60_000],
      ['2001-05-02', 1, may2, may2],
      ['2026-11-26', 1, arrival + 2, arrival + 2],
    ]);
    expect(files[0]!.path).toContain('/replayed/date=2001-05-01/');
    const rows = await query(
      `select request_id, epoch_ms("timestamp")::DOUBLE as event, epoch_ms(arrival_timestamp)::DOUBLE as arrival from read_parquet([${files.map((f) => `'${f.path}'`).join(', ')}], hive_partitioning = false) order by request_id`,
    );
    expect(rows).toEqual([
      { request_id: 'a/0', event: may1, arrival },
      { request_id: 'a/1', event: may2, arrival },
      { request_id: 'b', event: may1 + 60_000, arrival: arrival + 1 },
      { request_id: 'c', event: arrival + 2, arrival: arrival + 2 },
    ]);
    // A monitor asking for rows from May 2 on finds the May 2 file, not the one of May 1.
    expect((await listInferenceLogFiles(store, { model: 'replayed', kind: 'predictions', from: Date.UTC(2001, 4, 2), to: Date.UTC(2001, 4, 3) })).map((f) => f.day)).toEqual(['2001-05-02']);
  });

  it('drops and counts rows beyond its capacity, and says so in the log', async () => {
    const lines: string[] = [];
    let droppedMetric = 0;
    const log = new InferenceLog({
      root: join(dir, 'log-b'),
      index: storeIndex(store),
      capacity: 3,
      flushRows: 1_000,
      flushIntervalMs: 3_600_000,
      log: (l) => lines.push(l),
      onDrop: (n) => (droppedMetric += n),
    });
    const model: LoggedModel = { name: 'full', version: '1', predictionType: 'DOUBLE', columns: [column('x', 'double')] };
    for (let i = 0; i < 5; i++) log.append(model, `r${i}`, Date.now(), 1, one({ x: i }));
    expect(log.size).toBe(3);
    expect(log.dropped).toBe(2);
    expect(droppedMetric).toBe(2);
    await log.close();
    expect(lines.some((l) => /dropped 2 rows/.test(l))).toBe(true);
    expect((await listInferenceLogFiles(store, { model: 'full', kind: 'predictions' })).reduce((n, f) => n + f.rows, 0)).toBe(3);
  });

  it('keeps written files and indexes them on the next flush when the index is down', async () => {
    let down = true;
    const real = storeIndex(store);
    const index: InferenceIndex = {
      addFiles: (files: readonly NewInferenceLogFile[]) => (down ? Promise.reject(new Error('tracking server unreachable')) : real.addFiles(files)),
    };
    const lines: string[] = [];
    const log = new InferenceLog({ root: join(dir, 'log-c'), index, flushIntervalMs: 3_600_000, log: (l) => lines.push(l) });
    const model: LoggedModel = { name: 'retry', version: '1', predictionType: 'VARCHAR', columns: undefined };
    log.append(model, 'a', Date.now(), 1, { rows: 1, logged: ['yes'], proba: undefined, inputs: new Map() });
    await log.flush();
    expect(log.written).toBe(0);
    expect(lines.some((l) => /could not index 1 files \(will retry\)/.test(l))).toBe(true);
    down = false;
    await log.close();
    expect(log.written).toBe(1);
    const files = await listInferenceLogFiles(store, { model: 'retry', kind: 'predictions' });
    expect(files).toHaveLength(1);
    expect(await query(`select prediction from read_parquet('${files[0]!.path}', hive_partitioning = false)`)).toEqual([{ prediction: 'yes' }]);
    // No temp files are left beside the data.
    const dayDir = join(dir, 'log-c', 'retry', `date=${files[0]!.day}`);
    expect((await readdir(dayDir)).every((f) => f.endsWith('.parquet') && !f.startsWith('.'))).toBe(true);
  });

  it('prunes files by the age of their newest row, with their index rows', async () => {
    const old = await listInferenceLogFiles(store, { model: 'clash', kind: 'predictions' });
    // One second after midnight of March 2nd, with a one-second retention: only March 1st's file is older.
    const report = await pruneInferenceLog(store, { olderThanMs: 1000, now: Date.UTC(2026, 2, 2, 0, 0, 1), model: 'clash' });
    expect(report).toEqual({ files: 1, rows: 1 });
    expect(existsSync(old[0]!.path)).toBe(false);
    expect(existsSync(old[1]!.path)).toBe(true);
    expect((await listInferenceLogFiles(store, { model: 'clash', kind: 'predictions' })).map((f) => f.day)).toEqual(['2026-03-02']);
    await expect(pruneInferenceLog(store, { olderThanMs: -1 })).rejects.toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
  });

  it('lists files overlapping a time range', async () => {
    const all = await listInferenceLogFiles(store, { model: 'clash', kind: 'predictions' });
    const t = all[0]!.minTs;
    expect(await listInferenceLogFiles(store, { model: 'clash', kind: 'predictions', from: t, to: t + 1 })).toHaveLength(1);
    expect(await listInferenceLogFiles(store, { model: 'clash', kind: 'predictions', to: t })).toHaveLength(0);
    expect(await listInferenceLogFiles(store, { model: 'clash', kind: 'labels' })).toHaveLength(0);
  });
});
