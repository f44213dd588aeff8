/**
 * A tracking server with an InferenceLog fixture for model `churn` (8 days from 2026-05-01,
 * drifting from day 6) under its default inference-log root, a baseline file beside it, and
 * a monitors client: the set-up of the monitor REST suites.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MonitorsClient } from '../../src/client/monitors.js';
import { writeBaselineFixture, writeLogFixture } from '../../src/monitoring/monitors/test-data.js';
import { startTestServer, type TestServer } from './server.js';

export interface MonitorServer {
  server: TestServer;
  monitors: MonitorsClient;
  /** A temp folder of the suite's own (the baseline is in it). */
  dir: string;
  baseline: string;
  close(): Promise<void>;
}

export async function startMonitorServer(prefix: string): Promise<MonitorServer> {
  const server = await startTestServer();
  const monitors = new MonitorsClient({ trackingUri: server.url, maxRetries: 0 });
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // The server's default inference-log root: <artifact root>/inference-log.
  const day = join(server.home, 'artifacts', 'inference-log', 'churn', 'date=2026-05-01');
  mkdirSync(day, { recursive: true });
  await writeLogFixture(join(day, '1-0.parquet'), { start: '2026-05-01', days: 8, rowsPerDay: 80, driftFromDay: 6 });
  const baseline = join(dir, 'baseline.parquet');
  await writeBaselineFixture(baseline, 1200);
  return {
    server,
    monitors,
    dir,
    baseline,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
