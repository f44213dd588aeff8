/**
 * The compliance checks and the validation gate as server routes under
 * `/api/2.0/hangar/validation/…`: the server loads the candidate (and the champion), evaluates,
 * and records the verdict on the version itself, so a CI job needs only an HTTP call.
 *
 * The validation module is written against the SDK; here it runs over an in-process client whose
 * requests are injected into this same server with the caller's credentials. Every read and
 * write it makes therefore passes the same permission checks, audit rows and webhook events as
 * the client-side path does over the network.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { HangarError } from '../../core/errors.js';
import { HangarClient } from '../../client/index.js';
import { isQuery, resolveDataset, type DataContext } from '../../data/index.js';
import {
  checkDatasetRef,
  complianceRulesFromInput,
  dataEvaluator,
  datasetEvaluator,
  gateSettingsFromInput,
  loadComplianceSubject,
  readValidationResults,
  recordComplianceReport,
  runComplianceChecks,
  runGate,
  type GateData,
} from '../../validation/index.js';
import type { ApiContext, Handler } from '../context.js';
import { parseInput } from '../input.js';
import { parseVersion } from '../mlflow/registry.js';
import { governanceOf, principalOf } from './auth.js';
import { complianceReportToWire, gateResultToWire, validationResultsToWire } from './wire.js';

const versionInput = z.union([z.string(), z.number()]);
/** Statuses whose responses carry no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A `fetch` that answers from this server in-process (fastify's inject), sending the caller's
 * `Authorization` so the work is done with the caller's rights and recorded under their name.
 */
export function injectFetch(app: FastifyInstance, authorization: string | undefined): typeof fetch {
  return async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    if (authorization !== undefined) headers.authorization = authorization;
    else delete headers.authorization;
    const body = init?.body === undefined || init.body === null ? undefined : Buffer.from(await new Response(init.body).arrayBuffer());
    const res = await app.inject({
      method: (init?.method ?? 'GET') as 'GET',
      url: `${url.pathname}${url.search}`,
      headers,
      ...(body === undefined ? {} : { payload: body }),
    });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue;
      for (const item of Array.isArray(v) ? v : [String(v)]) out.append(k, item);
    }
    return new Response(NULL_BODY.has(res.statusCode) ? null : res.rawPayload, { status: res.statusCode, headers: out });
  };
}

/** An SDK client that talks to this server in-process as the request's caller. */
function callerClient(ctx: ApiContext, req: FastifyRequest): HangarClient {
  const host = req.headers.host ?? `${ctx.config.host}:${ctx.config.port}`;
  return new HangarClient({
    // Links the gate records (the validation run) point where the caller reached the server.
    trackingUri: `${req.protocol}://${host}`,
    fetch: injectFetch(ctx.app, req.headers.authorization),
    maxRetries: 0,
    timeoutMs: 24 * 3600 * 1000,
  });
}

/**
 * The evaluation data as the server reads it: an absolute path to a Parquet or CSV file on the
 * server's file system. SQL is refused (DuckDB SQL can read and write any file the server can);
 * `dataset:` references are resolved by `serverGateData`.
 */
function serverDataPath(data: string): string {
  if (isQuery(data)) {
    throw new HangarError('INVALID_PARAMETER_VALUE', "'data': the server does not run SQL queries; give a file path, or run the gate client-side (hangar gate --evaluate-on client).", { field: 'data' });
  }
  if (!isAbsolute(data)) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `'data' must be an absolute path on the server, got '${data}'.`, { field: 'data' });
  }
  if (!existsSync(data) || !statSync(data).isFile()) {
    throw new HangarError('RESOURCE_DOES_NOT_EXIST', `'data': the server cannot read the data file ${data}.`, { field: 'data' });
  }
  return data;
}

/**
 * Bind the gate to its data on the server. `dataset:NAME[@VERSION]` is looked up as the caller
 * (so dataset read rights apply as on `datasets/versions/get`), its Parquet file is read where the
 * artifact store keeps it (a local cache copy when that is S3), and the version is recorded as the
 * validation run's `evaluation` input with its digest. Anything else must be a server file.
 */
async function serverGateData(ctx: ApiContext, client: HangarClient, data: string, target: string): Promise<GateData> {
  if (!data.startsWith('dataset:')) {
    const path = serverDataPath(data);
    return { evaluate: dataEvaluator(client, path, target), dataLabel: path, inputs: [] };
  }
  const ref = checkDatasetRef(data);
  const version = await client.datasets.getVersion(ref.name, { version: ref.version });
  const dataCtx: DataContext = { store: ctx.store, artifacts: ctx.artifacts, cacheDir: join(ctx.config.home, 'cache', 'data') };
  // The version number is pinned now, so a version registered meanwhile cannot change what is read.
  const resolved = await resolveDataset(dataCtx, version.name, version.version);
  return {
    evaluate: datasetEvaluator(client, resolved.localPath, target),
    dataLabel: `dataset:${resolved.name}@${resolved.version}`,
    inputs: [client.datasets.runInput(version, 'evaluation')],
  };
}

/** How routes.ts registers a Hangar route (passed in, so the two files do not import each other). */
export type HangarRouteFn = (ctx: ApiContext, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, handler: Handler) => void;

/** Register `…/validation/compliance/run`, `…/validation/gate/run` and `…/validation/results/get`. */
export function registerValidationRoutes(ctx: ApiContext, hangarRoute: HangarRouteFn): void {
  const gov = () => governanceOf(ctx.store);

  hangarRoute(ctx, 'POST', '/validation/compliance/run', async (req) => {
    const body = parseInput(z.object({ name: z.string().min(1), version: versionInput, rules: z.unknown().optional(), record: z.boolean().optional() }), req.json);
    const version = parseVersion(body.version);
    const rules = complianceRulesFromInput(body.rules, 'rules');
    const record = body.record ?? true;
    await gov().require(principalOf(req), body.name, record ? 'CAN_EDIT' : 'CAN_READ', 'run compliance checks');
    req.audit = { entityType: 'model_version', entityId: `${body.name}/${version}` };
    const client = callerClient(ctx, req);
    const report = runComplianceChecks(await loadComplianceSubject(client, `models:/${body.name}/${version}`), rules);
    if (record) await recordComplianceReport(client, report);
    req.audit.after = { compliance_status: report.passed ? 'passed' : 'failed', recorded: record };
    return { report: complianceReportToWire(report), recorded: record };
  });

  hangarRoute(ctx, 'POST', '/validation/gate/run', async (req) => {
    const body = parseInput(
      z.object({
        name: z.string().min(1),
        version: versionInput,
        data: z.string().min(1),
        target: z.string().min(1),
        mode: z.unknown().optional(),
        thresholds: z.unknown().optional(),
        baseline: z.unknown().optional(),
        mlflow_compat: z.unknown().optional(),
        experiment_name: z.string().min(1).optional(),
      }),
      req.json,
    );
    const version = parseVersion(body.version);
    const settings = gateSettingsFromInput({
      ...(body.mode === undefined ? {} : { mode: body.mode }),
      ...(body.thresholds === undefined ? {} : { thresholds: body.thresholds }),
      ...(body.baseline === undefined ? {} : { baseline: body.baseline }),
      ...(body.mlflow_compat === undefined ? {} : { mlflow_compat: body.mlflow_compat }),
    });
    // A disabled gate writes nothing (MLOps Stacks), so reading the model is all it needs.
    const writes = settings.mode !== 'disabled';
    await gov().require(principalOf(req), body.name, writes ? 'CAN_MANAGE_STAGING_VERSIONS' : 'CAN_READ', 'run the validation gate');
    req.audit = { entityType: 'model_version', entityId: `${body.name}/${version}` };
    const client = callerClient(ctx, req);
    // A disabled gate reads no data, so none is looked up.
    const data: GateData = writes ? await serverGateData(ctx, client, body.data, body.target) : { evaluate: dataEvaluator(client, body.data, body.target), dataLabel: body.data, inputs: [] };
    const result = await runGate(client, {
      modelUri: `models:/${body.name}/${version}`,
      evaluate: data.evaluate,
      settings,
      experimentName: body.experiment_name ?? 'hangar-validation',
      dataLabel: data.dataLabel,
      inputs: data.inputs,
      onCompleted: (e) => gov().emit('validation.completed', { ...e }),
    });
    req.audit.after = { mode: result.mode, status: result.status, run_id: result.runId };
    return { result: gateResultToWire(result) };
  });

  hangarRoute(ctx, 'GET', '/validation/results/get', async (req) => {
    const q = parseInput(z.object({ name: z.string().min(1), version: versionInput }), req.json);
    const version = parseVersion(q.version);
    await gov().require(principalOf(req), q.name, 'CAN_READ', 'read validation results');
    return { results: validationResultsToWire(await readValidationResults(callerClient(ctx, req), q.name, version)) };
  });
}
