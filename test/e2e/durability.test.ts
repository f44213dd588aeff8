import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgSkipReason, pgUrl } from '../support/services.js';
import { startServerProcess } from '../support/process.js';

const API = '/api/2.0/mlflow';

async function post(url: string, path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${url}${API}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

/**
 * kill -9 the server while concurrent log-batch writes are in flight; after a restart every
 * batch that was answered 200 must be there in full.
 */
async function killDuringWrites(storeArgs: string[]): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'hangar-durability-'));
  try {
    const args = ['--home', home, ...storeArgs];
    let server = await startServerProcess(args);
    const exp = await post(server.url, '/experiments/create', { name: `durability-${Date.now()}` });
    const experimentId = exp.body.experiment_id as string;
    const writers = 6;
    const runIds: string[] = [];
    for (let w = 0; w < writers; w++) {
      const r = await post(server.url, '/runs/create', { experiment_id: experimentId, start_time: Date.now() });
      runIds.push(((r.body.run as { info: { run_id: string } }).info.run_id));
    }
    const acked: Array<{ runId: string; batch: number }> = [];
    let stop = false;
    const loops = runIds.map(async (runId) => {
      for (let batch = 0; !stop; batch++) {
        const metrics = Array.from({ length: 50 }, (_, k) => ({ key: `m${k}`, value: batch + k / 100, timestamp: 1_700_000_000_000 + batch, step: batch }));
        try {
          const r = await post(server.url, '/runs/log-batch', { run_id: runId, metrics, params: [{ key: `p${batch}`, value: String(batch) }] });
          if (r.status === 200) acked.push({ runId, batch });
        } catch {
          return; // the connection died with the server
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    await server.kill9();
    stop = true;
    await Promise.all(loops);
    expect(acked.length).toBeGreaterThan(20);

    server = await startServerProcess(args);
    try {
      const byRun = new Map<string, Set<number>>();
      for (const { runId, batch } of acked) {
        if (!byRun.has(runId)) byRun.set(runId, new Set());
        byRun.get(runId)!.add(batch);
      }
      for (const [runId, batches] of byRun) {
        const r = await fetch(`${server.url}${API}/runs/get?run_id=${runId}`);
        const run = ((await r.json()) as { run: { data: { params?: Array<{ key: string }> } } }).run;
        const params = new Set((run.data.params ?? []).map((p) => p.key));
        for (const k of [0, 49]) {
          const h = await fetch(`${server.url}${API}/metrics/get-history?run_id=${runId}&metric_key=m${k}`);
          const steps = new Set((((await h.json()) as { metrics?: Array<{ step: number }> }).metrics ?? []).map((m) => m.step));
          for (const b of batches) expect(steps.has(b), `run ${runId} metric m${k} step ${b} was acknowledged`).toBe(true);
        }
        for (const b of batches) expect(params.has(`p${b}`), `run ${runId} param p${b} was acknowledged`).toBe(true);
      }
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe('durability: kill -9 during concurrent log-batch writes', () => {
  it('loses nothing acknowledged on SQLite', async () => {
    await killDuringWrites([]);
  }, 120_000);

  describe.skipIf(!pgUrl)(`on PostgreSQL${pgUrl ? '' : ` (skipped: ${pgSkipReason})`}`, () => {
    const dbName = `hangar_durability_${process.pid}_${Date.now()}`;
    afterAll(async () => {
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: pgUrl! });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    });
    it('loses nothing acknowledged on PostgreSQL', async () => {
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: pgUrl! });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${dbName}`);
      await admin.end();
      const url = new URL(pgUrl!);
      url.pathname = `/${dbName}`;
      await killDuringWrites(['--backend-store-uri', url.href]);
    }, 120_000);
  });
});
