import type { HangarClient } from '../client/index.js';
import type { Experiment, ModelVersion, RegisteredModel, ResolvedModel, Run, ViewType } from '../client/index.js';
import { HangarError } from '../core/errors.js';
import { formatFields, formatNumber, formatTable, formatTime } from './table.js';

/**
 * The CLI's read commands, over the SDK only (so they work against any MLflow-compatible
 * server). Each returns the text to print: a table, or JSON with `json`.
 */

export interface OutputOptions {
  /** Print JSON (the SDK's camelCase shapes) instead of a table. */
  json?: boolean;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Collect at most `limit` items from a paged search. */
async function take<T>(it: AsyncIterable<T>, limit: number): Promise<T[]> {
  const out: T[] = [];
  if (limit <= 0) return out;
  for await (const x of it) {
    out.push(x);
    if (out.length >= limit) break;
  }
  return out;
}

const VIEW: Record<string, ViewType> = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' };

export function parseView(view: string | undefined): ViewType {
  const v = VIEW[(view ?? 'active').toLowerCase()];
  if (v === undefined) throw new HangarError('INVALID_PARAMETER_VALUE', `--view must be one of active, deleted, all (got '${view}').`, { field: 'view' });
  return v;
}

export async function experimentsList(
  client: HangarClient,
  opts: OutputOptions & { view?: string; filter?: string; maxResults: number },
): Promise<string> {
  const list: Experiment[] = await take(
    client.iterateExperiments({ viewType: parseView(opts.view), filter: opts.filter, maxResults: Math.min(opts.maxResults, 1000) }),
    opts.maxResults,
  );
  if (opts.json === true) return json(list);
  return formatTable(
    ['ID', 'NAME', 'STAGE', 'ARTIFACT LOCATION', 'CREATED (UTC)'],
    list.map((e) => [e.experimentId, e.name, e.lifecycleStage, e.artifactLocation, formatTime(e.creationTime)]),
    { empty: 'No experiments.' },
  );
}

export async function runsSearch(
  client: HangarClient,
  opts: OutputOptions & { experimentIds?: string[]; filter?: string; orderBy?: string[]; maxResults: number; view?: string },
): Promise<string> {
  // Without experiment ids, search every active experiment (the server needs the list).
  const experimentIds =
    opts.experimentIds !== undefined && opts.experimentIds.length > 0
      ? opts.experimentIds
      : (await client.searchAllExperiments({ maxResults: 1000 })).map((e) => e.experimentId);
  const runs: Run[] =
    experimentIds.length === 0
      ? []
      : await take(
          client.iterateRuns({
            experimentIds,
            filter: opts.filter,
            orderBy: opts.orderBy,
            viewType: parseView(opts.view),
            maxResults: Math.min(opts.maxResults, 1000),
          }),
          opts.maxResults,
        );
  if (opts.json === true) return json(runs);
  return formatTable(
    ['RUN ID', 'NAME', 'EXP', 'STATUS', 'STARTED (UTC)', 'METRICS', 'PARAMS'],
    runs.map((r) => [
      r.info.runId,
      r.info.runName,
      r.info.experimentId,
      r.info.status,
      formatTime(r.info.startTime),
      r.data.metrics.map((m) => `${m.key}=${formatNumber(m.value)}`).join(' '),
      r.data.params.map((p) => `${p.key}=${p.value}`).join(' '),
    ]),
    { empty: 'No runs matched.', maxCellWidth: 48 },
  );
}

function stageSummary(m: RegisteredModel): string {
  return [...m.latestVersions]
    .sort((a, b) => b.version - a.version)
    .map((v) => `v${v.version} ${v.currentStage}`)
    .join(', ');
}

export async function modelsList(client: HangarClient, opts: OutputOptions & { filter?: string; maxResults: number }): Promise<string> {
  const models = await take(client.iterateRegisteredModels({ filter: opts.filter, maxResults: Math.min(opts.maxResults, 1000) }), opts.maxResults);
  if (opts.json === true) return json(models);
  return formatTable(
    ['NAME', 'LATEST VERSIONS', 'ALIASES', 'UPDATED (UTC)'],
    models.map((m) => [m.name, stageSummary(m), m.aliases.map((a) => `${a.alias}→v${a.version}`).join(' '), formatTime(m.lastUpdatedTimestamp)]),
    { empty: 'No registered models.' },
  );
}

export async function modelsShow(client: HangarClient, name: string, opts: OutputOptions): Promise<string> {
  const model = await client.getRegisteredModel(name);
  const filter = `name = '${name.replaceAll("'", "\\'")}'`;
  const versions: ModelVersion[] = (await client.searchAllModelVersions({ filter, maxResults: 1000 })).sort((a, b) => b.version - a.version);
  if (opts.json === true) return json({ model, versions });
  const aliasesOf = (v: number): string =>
    model.aliases
      .filter((a) => a.version === v)
      .map((a) => a.alias)
      .join(' ');
  const head = formatFields([
    ['Name', model.name],
    ['Description', model.description],
    ['Tags', model.tags.map((t) => `${t.key}=${t.value}`).join(' ')],
    ['Aliases', model.aliases.map((a) => `${a.alias}→v${a.version}`).join(' ')],
    ['Created (UTC)', formatTime(model.creationTimestamp)],
    ['Updated (UTC)', formatTime(model.lastUpdatedTimestamp)],
  ]);
  const table = formatTable(
    ['VERSION', 'STAGE', 'ALIASES', 'STATUS', 'RUN ID', 'SOURCE', 'CREATED (UTC)'],
    versions.map((v) => [v.version, v.currentStage, aliasesOf(v.version), v.status, v.runId ?? '', v.source, formatTime(v.creationTimestamp)]),
    { empty: 'No versions yet.' },
  );
  return `${head}\n${table}`;
}

export async function modelsResolve(client: HangarClient, uri: string, opts: OutputOptions): Promise<string> {
  const r: ResolvedModel = await client.resolveModelUri(uri);
  if (opts.json === true) return json(r);
  const mv = r.modelVersion;
  return formatFields([
    ['URI', r.uri],
    ['Model', mv?.name ?? r.loggedModel?.name],
    ['Version', mv === undefined ? undefined : String(mv.version)],
    ['Stage', mv?.currentStage],
    ['Aliases', mv?.aliases.join(' ')],
    ['Logged model', r.loggedModel?.modelId],
    ['Run', mv?.runId ?? r.runId ?? r.loggedModel?.sourceRunId ?? undefined],
    ['Artifact URI', r.artifactUri],
  ].filter(([, v]) => v !== undefined && v !== '') as Array<[string, string]>);
}
