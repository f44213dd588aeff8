import { InvalidArgumentError } from 'commander';
import { invalidParam } from '../../core/errors.js';
import { OnlineFeaturesClient, type MaterializeInfo, type OnlineFeaturesResult } from '../../client/index.js';
import { clientOptions, configFrom, intOption, repeatable, storeOptions, type CliIo, type StoreFlags } from '../options.js';
import { formatNumber, formatTable, formatTime } from '../table.js';
import type { CommandContext } from './context.js';

/**
 * The online store from the command line, over the SDK (docs/online-store.md):
 * `hangar materialize START END`, `hangar materialize-incremental END` (as `feast materialize`
 * and `feast materialize-incremental`; they run on the server, against its online store), and
 * `hangar online get` / `hangar online tables`; and `hangar online serve`, the feature server
 * (reads the online store directly, no tracking server in the way).
 */

type ClientFlags = { trackingUri: string; json?: boolean };

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** `2024-01-01`, `2024-01-01T10:00:00` (UTC unless a zone is given), epoch milliseconds, or `now`. */
export function parseTime(value: string, field = 'time'): number {
  const v = value.trim();
  if (v === 'now') return Date.now();
  if (/^\d{9,}$/.test(v)) return Number(v);
  const zoned = /T.*(Z|[+-]\d\d:?\d\d)$/i.test(v) || !v.includes('T') ? v : `${v}Z`;
  const ms = Date.parse(zoned);
  if (Number.isNaN(ms)) throw invalidParam(`${field}: expected an ISO-8601 time (2024-01-01, 2024-01-01T10:00:00Z), epoch milliseconds or 'now', got '${value}'.`, field);
  return ms;
}

/** `origin=SFO,JFK` → `['origin', ['SFO', 'JFK']]`, accumulated over repeats. */
function entityOption(value: string, previous: Record<string, string[]> | undefined): Record<string, string[]> {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`Expected KEY=VALUE[,VALUE…], got '${value}'.`);
  const key = value.slice(0, i);
  return { ...previous, [key]: [...(previous?.[key] ?? []), ...value.slice(i + 1).split(',')] };
}

function onlineClient(io: CliIo, trackingUri: string): OnlineFeaturesClient {
  return new OnlineFeaturesClient({ trackingUri, token: io.env.MLFLOW_TRACKING_TOKEN, maxRetries: 2, backoffMs: 250, timeoutMs: 600_000 });
}

/** Progress on stderr: a line rewritten in place on a terminal, one percentage line per table otherwise. */
function progress(io: CliIo, total: number): (done: number, table: string) => void {
  const tty = process.stderr.isTTY === true;
  return (done, table) => {
    const pct = total === 0 ? 100 : Math.round((done / total) * 100);
    if (tty) io.err(`\r\x1b[Kmaterialize ${pct}% (${done}/${total} tables) ${done < total ? table : 'done'}${done === total ? '\n' : ''}`);
    else io.err(`materialize: ${pct}% (${done}/${total} tables${done < total ? `, next ${table}` : ''})\n`);
  };
}

function resultTable(results: MaterializeInfo[]): string {
  return formatTable(
    ['TABLE', 'START (UTC)', 'END (UTC)', 'ROWS', 'STORED'],
    results.map((r) => [r.table, r.start === undefined ? '(beginning)' : formatTime(r.start), formatTime(r.end), r.rows, r.stored]),
    { empty: '(no feature tables)' },
  );
}

/** The columnar answer as a table: one row per entity; a value that is not PRESENT shows its status. */
function answerTable(r: OnlineFeaturesResult): string {
  const names = r.metadata.feature_names;
  const n = r.results[0]?.values.length ?? 0;
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    rows.push(
      names.map((_, c) => {
        const col = r.results[c]!;
        const v = col.values[i];
        const shown = v === null || v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : String(v);
        return col.statuses[i] === 'PRESENT' ? shown : `${shown}${shown === '' ? '' : ' '}(${col.statuses[i]})`;
      }),
    );
  }
  return formatTable(names.map((s) => s.toUpperCase()), rows, { empty: '(no entities)' });
}

export function registerOnlineCommands(ctx: CommandContext): void {
  const { program, io } = ctx;

  const runMaterialize = async (o: ClientFlags & { table?: string[] }, call: (client: OnlineFeaturesClient, tables: string[] | undefined, dryRun: boolean) => Promise<MaterializeInfo[]>): Promise<void> => {
    const client = onlineClient(io, o.trackingUri);
    // Ask which tables a run covers, then materialise them one by one to report progress.
    const planned = await call(client, o.table, true);
    const step = progress(io, planned.length);
    const results: MaterializeInfo[] = [];
    for (const [i, p] of planned.entries()) {
      step(i, p.table);
      results.push(...(await call(client, [p.table], false)));
    }
    step(planned.length, '');
    io.out(o.json ? json({ results }) : resultTable(results));
  };

  clientOptions(
    program
      .command('materialize')
      .argument('<start>', 'window start, inclusive: 2024-01-01, 2024-01-01T10:00:00Z, epoch ms')
      .argument('<end>', "window end, exclusive (same forms, or 'now')")
      .description('copy, per entity key, the latest offline feature row with START ≤ ts < END into the online store (on the server)')
      .option('--table <name>', 'a feature table to materialise (repeatable; default: all)', repeatable)
      .addHelpText('after', '\nExample:\n  hangar materialize 2024-01-01 now --table origin_stats --table route_stats\n'),
    io,
  ).action(async (start: string, end: string, o: ClientFlags & { table?: string[] }) => {
    const s = parseTime(start, 'START');
    const e = parseTime(end, 'END');
    await runMaterialize(o, (client, tables, dryRun) => client.materialize(s, e, { ...(tables === undefined ? {} : { tables }), dryRun }));
  });

  clientOptions(
    program
      .command('materialize-incremental')
      .argument('<end>', "window end, exclusive: 2024-01-01T10:00:00Z, epoch ms or 'now'")
      .description("materialise each table from its previous end (the first time from END − ttl, or from the beginning when ttl is 0) to END")
      .option('--table <name>', 'a feature table to materialise (repeatable; default: all)', repeatable),
    io,
  ).action(async (end: string, o: ClientFlags & { table?: string[] }) => {
    const e = parseTime(end, 'END');
    await runMaterialize(o, (client, tables, dryRun) => client.materializeIncremental(e, { ...(tables === undefined ? {} : { tables }), dryRun }));
  });

  const online = program.command('online').description('online feature look-up');

  clientOptions(
    online
      .command('get')
      .description('look features up for entity keys; values past their TTL show OUTSIDE_MAX_AGE')
      .option('--feature <table:feature>', 'a feature reference (repeatable)', repeatable)
      .option('--feature-service <name>', 'a feature service instead of --feature')
      .requiredOption('--entity <key=v1,v2…>', 'entity key values (repeatable, one per key column)', entityOption)
      .option('--full-feature-names', 'name features table__feature')
      .addHelpText('after', '\nExample:\n  hangar online get --feature origin_stats:delay_rate --feature route_stats:delay_rate --entity origin=SFO,JFK --entity dest=LAX,BOS\n'),
    io,
  ).action(async (o: ClientFlags & { feature?: string[]; featureService?: string; entity: Record<string, string[]>; fullFeatureNames?: boolean }) => {
    if ((o.feature === undefined) === (o.featureService === undefined)) throw invalidParam('Give --feature (one or more) or --feature-service.', 'feature');
    const r = await onlineClient(io, o.trackingUri).get({
      ...(o.feature === undefined ? {} : { features: o.feature }),
      ...(o.featureService === undefined ? {} : { featureService: o.featureService }),
      entities: o.entity,
      ...(o.fullFeatureNames === true ? { fullFeatureNames: true } : {}),
    });
    io.out(o.json ? json(r) : answerTable(r));
  });

  clientOptions(online.command('tables').description('the feature tables the online store holds, with their last materialisation end'), io).action(async (o: ClientFlags) => {
    const { storeType, tables } = await onlineClient(io, o.trackingUri).tables();
    if (o.json) {
      io.out(json({ store_type: storeType, tables }));
      return;
    }
    io.out(
      formatTable(
        ['TABLE', 'KEYS', 'FEATURES', 'TTL MS', 'MATERIALIZED TO (UTC)'],
        tables.map((t) => [t.name, t.keys.map((k) => k.name).join(','), t.features.length, t.ttlMs, t.materializedEnd === undefined ? '' : formatTime(t.materializedEnd)]),
        { empty: `(nothing materialised in the ${storeType} online store)` },
      ),
    );
  });

  const serve = online
    .command('serve')
    .description("serve online look-ups from the online store on a lean HTTP server (like `feast serve`): the tracking server's look-up paths, /health and /metrics; reads need no token")
    .option('--online-store <uri>', 'online feature store: a SQLite path, redis://host:port or postgresql://… (default: as `hangar server`, online.db beside the SQLite database)')
    .option('--host <host>', 'interface to listen on (loopback by default: look-ups need no token)', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 picks a free one)', intOption(0, 65535), 6566)
    .option('--json', 'print the listening address as JSON');
  storeOptions(serve, false)
    .addHelpText(
      'after',
      `
Answers POST /get-online-features (Feast's path) and POST /api/2.0/hangar/features/online/get
with the same body and the same answer as the tracking server, GET /health and GET /metrics
(Prometheus). Materialise with the tracking server (\`hangar materialize\`); new tables show up
here within a second. Reads need no token, so the server listens on 127.0.0.1 unless --host
says otherwise. Stops cleanly on Ctrl+C (SIGINT) or SIGTERM.

Examples:
  hangar online serve
  hangar online serve --online-store redis://127.0.0.1:6379 --port 6566
  curl -s localhost:6566/get-online-features -d '{"features":["origin_delays_7d:origin_delay_rate_7d"],"entities":{"origin":["SFO"]}}'`,
    )
    .action(async (o: StoreFlags & { onlineStore?: string; host: string; port: number; json?: boolean }) => {
      // The same configuration path as \`hangar server\`, so the default store is the same file.
      const config = configFrom(io, { home: o.home, backendStoreUri: o.backendStoreUri, onlineStore: o.onlineStore });
      const { describeOnlineStore, openOnlineStore, OnlineFeatures, startFeatureServer } = await import('../../data/online/index.js');
      const defaults = { home: config.home, backendStoreUri: config.backendStoreUri };
      // Feature services are read (never written) from the metadata store, opened on the first look-up that names one.
      const services = (await import('../../data/features/service-resolver.js')).metadataServiceResolver(config.backendStoreUri);
      const store = await openOnlineStore(config.onlineStore, defaults);
      try {
        const running = await startFeatureServer({ online: new OnlineFeatures(store, { resolveFeatureService: services.resolve }), host: o.host, port: o.port, bodyLimitBytes: config.bodyLimitBytes, logLine: (line) => io.err(`${line}\n`) });
        try {
          const where = describeOnlineStore(config.onlineStore, defaults);
          io.out(o.json ? json({ url: running.url, online_store_type: config.onlineStore.type, online_store: where }) : `Hangar feature server listening on ${running.url}\n  online store   ${where}\n`);
          const signal = await io.untilShutdown();
          if (o.json !== true) io.out(`${signal}: shutting down\n`);
        } finally {
          await running.close();
        }
      } finally {
        await store.close();
        await services.close();
      }
    });
}
