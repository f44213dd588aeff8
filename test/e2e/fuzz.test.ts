import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { openStore } from '../../src/store/open.js';
import { openArtifactStore } from '../../src/artifacts/open.js';
import { createServer } from '../../src/api/server.js';
import type { Store } from '../../src/store/port.js';
import type { ArtifactStore } from '../../src/artifacts/port.js';
import { ENDPOINTS } from '../contract/endpoints.js';

/**
 * Property-based fuzzing of every endpoint: whatever arrives, the answer is never a 5xx and
 * the server keeps answering.
 */

const FIELDS = [
  'experiment_id', 'experiment_ids', 'name', 'new_name', 'run_id', 'run_uuid', 'run_ids', 'key', 'value', 'timestamp', 'step',
  'metrics', 'params', 'tags', 'filter', 'order_by', 'max_results', 'page_token', 'view_type', 'run_view_type', 'version',
  'stage', 'stages', 'archive_existing_versions', 'alias', 'source', 'description', 'model_id', 'status', 'end_time',
  'start_time', 'user_id', 'run_name', 'model_json', 'datasets', 'models', 'metric_key', 'path', 'num_parts', 'upload_id',
  'parts', 'artifact_location', 'run_link', 'start_step', 'end_step', 'experiment_name', 'model_type', 'source_run_id',
];

const asText = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));

describe('fuzzing every endpoint', () => {
  let home: string;
  let store: Store;
  let artifacts: ArtifactStore;
  let app: FastifyInstance;
  const known: Record<string, string> = {};

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'hangar-fuzz-'));
    const config = loadConfig({ home, port: 0, bodyLimitBytes: 2 * 1024 * 1024 });
    store = await openStore(config.backendStoreUri, { defaultArtifactRoot: 'mlflow-artifacts:', migrate: true });
    artifacts = await openArtifactStore(config.artifactsDestination);
    app = await createServer({ config, store, artifacts });
    await app.ready();
    // Real ids, so that generated requests also reach the code behind the existence checks.
    const exp = (await app.inject({ method: 'POST', url: '/api/2.0/mlflow/experiments/create', payload: { name: 'fuzz' } })).json();
    known.experiment_id = exp.experiment_id;
    const run = (await app.inject({ method: 'POST', url: '/api/2.0/mlflow/runs/create', payload: { experiment_id: exp.experiment_id } })).json();
    known.run_id = run.run.info.run_id;
    await app.inject({ method: 'POST', url: '/api/2.0/mlflow/registered-models/create', payload: { name: 'fuzz-model' } });
    await app.inject({ method: 'POST', url: '/api/2.0/mlflow/model-versions/create', payload: { name: 'fuzz-model', source: 'mlflow-artifacts:/1/x/artifacts' } });
    known.name = 'fuzz-model';
    known.version = '1';
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await artifacts?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const scalar = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('NaN', 'Infinity', '-Infinity', '', '..', '../../etc/passwd', 'None', 'Production', 'm-0', '1e309', '-1', '9'.repeat(30)),
    fc.string({ minLength: 300, maxLength: 7000 }),
  );
  const value = fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(scalar, { maxLength: 5 }),
    fc.array(fc.dictionary(fc.constantFrom('key', 'value', 'timestamp', 'step', 'dataset', 'tags', 'model_id', 'part_number', 'etag'), scalar), { maxLength: 4 }),
  );
  const body = fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 });

  it('answers every endpoint below 500, whatever the input', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        body,
        fc.boolean(),
        fc.constantFrom('application/json', undefined, 'text/plain', 'application/json; charset=utf-8'),
        fc.option(fc.string({ maxLength: 60 })),
        async (endpoint, input, useKnownIds, contentType, rawBody) => {
          const payloadObj = useKnownIds ? { ...input, ...known } : input;
          const path = endpoint.path.replace(/\{(\w+)\+?\}/g, (_m, p: string) => encodeURIComponent(asText(payloadObj[p] ?? 'x')));
          const isGet = endpoint.method === 'GET';
          const query = isGet
            ? Object.fromEntries(Object.entries(payloadObj).map(([k, v]) => [k, asText(v)]))
            : undefined;
          const pending = app.inject({
            method: endpoint.method,
            url: path,
            ...(query ? { query } : {}),
            ...(isGet ? {} : { payload: rawBody ?? JSON.stringify(payloadObj) }),
            headers: contentType && !isGet ? { 'content-type': contentType } : {},
          });
          let timer: NodeJS.Timeout | undefined;
          const res = await Promise.race([
            pending,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`${endpoint.method} ${path} did not answer within 10 s; input: ${JSON.stringify(payloadObj).slice(0, 300)}`)), 10_000);
            }),
          ]).finally(() => clearTimeout(timer));
          if (res.statusCode >= 500) {
            throw new Error(`${endpoint.method} ${path} → ${res.statusCode} ${res.body}\ninput: ${JSON.stringify(payloadObj).slice(0, 500)}`);
          }
          if (res.headers['content-type']?.toString().includes('application/json') && res.statusCode >= 400) {
            const parsed = res.json();
            expect(typeof parsed.error_code).toBe('string');
            expect(typeof parsed.message).toBe('string');
          }
        },
      ),
      // Shrinking a counterexample can take long; report what was found within the budget.
      { numRuns: Number(process.env.HANGAR_FUZZ_RUNS ?? 1500), interruptAfterTimeLimit: 200_000, markInterruptAsFailure: false },
    );
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
  }, 300_000);
});
