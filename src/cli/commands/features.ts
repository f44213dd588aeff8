import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { HangarError } from '../../core/errors.js';
import type { DataContext } from '../../data/index.js';
import { clientFor, configFrom, idList, repeatable, serverSide, storeOptions, DEFAULT_TRACKING_URI, type CliIo, type StoreFlags } from '../options.js';
import { formatFields, formatTable, formatTime } from '../table.js';
import type { CommandContext } from './context.js';

/**
 * Feature-store commands: `hangar features apply|list|show|compute|training-set` and
 * `hangar features services list|get|delete` work on the
 * metadata database and artifact root directly (like `hangar db` and `hangar gc`: data engineers
 * run them where the data lives); `hangar score` loads a model from a tracking server and looks
 * its features up in the same database. Remote programs use the REST routes or the SDK.
 */

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
const dataModule = () => import('../../data/index.js');

/** Epoch ms from an ISO 8601 date/time (`2024-01-31`, `2024-01-31T12:00:00Z`) or epoch ms. */
function instant(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError('Not a date/time: use ISO 8601 (2024-01-31, 2024-01-31T12:00:00Z) or epoch milliseconds.');
  return ms;
}

/** Progress on stderr: a line per phase. */
const phases = (io: CliIo, quiet: boolean) => (message: string): void => {
  if (!quiet) io.err(`${message}\n`);
};

/** Open the metadata store and artifact root the flags name, run `fn`, close both. */
export async function withDataContext<T>(io: CliIo, flags: StoreFlags, fn: (ctx: DataContext) => Promise<T>): Promise<T> {
  const config = configFrom(io, flags);
  const { openCheckedStore, openArtifactStore, s3OptionsFromEnv } = await serverSide();
  const store = await openCheckedStore(config.backendStoreUri);
  try {
    const artifacts = await openArtifactStore(config.artifactsDestination, { s3: s3OptionsFromEnv(io.env) });
    try {
      return await fn({ store, artifacts, cacheDir: join(config.home, 'cache', 'data') });
    } finally {
      await artifacts.close();
    }
  } finally {
    await store.close();
  }
}

type Flags = StoreFlags & { json?: boolean };

function dataOptions(cmd: Command): Command {
  return storeOptions(cmd, true).option('--json', 'print JSON');
}

export function registerFeatureCommands(ctx: CommandContext): void {
  const { program, io } = ctx;
  const features = program
    .command('features')
    .description('feature tables as code: apply definitions, compute versions offline, build point-in-time training sets')
    .addHelpText('after', '\nDefinitions, point-in-time rules and REST endpoints: docs/features.md');

  // --- apply ---------------------------------------------------------------------------------
  dataOptions(
    features
      .command('apply')
      .argument('[path]', 'features.yaml, a .ts/.js module, or a directory holding features.yaml|ts|js', '.')
      .description('register or update feature tables from their definitions (like `feast apply`)')
      .option('--dry-run', 'show what would be created or changed, write nothing'),
  )
    .addHelpText(
      'after',
      `
A definition names the table, its primary keys, the timestamp key, typed features, a source
(SQL over files and dataset('name'), or a TypeScript transform), a TTL ('7d', '12h', '30m',
0 = never expires), a description, an owner and tags. Feature services (a name and a list of
'table:feature' references, 'table:*' for all of a table) are registered after the tables;
a changed service gets a new version. Tables and services not in PATH are left alone.

Examples:
  hangar features apply                       # ./features.yaml or ./features.ts
  hangar features apply defs/features.ts --dry-run`,
    )
    .action(async (path: string, o: Flags & { dryRun?: boolean }) => {
      const { loadDefinitions, applyFeatureDefinitions } = await dataModule();
      const { file, specs, services } = await loadDefinitions(path);
      const dryRun = o.dryRun === true;
      const { tables: results, services: serviceResults } = await withDataContext(io, o, (c) => applyFeatureDefinitions(c, specs, services, { dryRun }));
      if (o.json === true) {
        io.out(json({ file, dry_run: dryRun, results, services: serviceResults }));
        return;
      }
      const rows: Array<Array<string | number>> = [...results.map((r) => ['table', r.name, r.status, '']), ...serviceResults.map((r) => ['service', r.name, r.status, `v${r.version}, ${r.features.length} features`])];
      io.out(formatTable(['KIND', 'NAME', dryRun ? 'WOULD BE' : 'STATUS', 'DETAIL'], rows));
      const count = (list: Array<{ status: string }>, s: string): number => list.filter((r) => r.status === s).length;
      const summary = (list: Array<{ status: string }>): string => `${count(list, 'created')} created, ${count(list, 'changed')} changed, ${count(list, 'unchanged')} unchanged`;
      io.err(`${dryRun ? 'Dry run: ' : ''}tables ${summary(results)}; services ${summary(serviceResults)} (${file})\n`);
    });

  // --- list / show -------------------------------------------------------------------------------
  dataOptions(features.command('list').description('list registered feature tables')).action(async (o: Flags) => {
    const { listFeatureTables, formatTtl } = await dataModule();
    const tables = await withDataContext(io, o, (c) => listFeatureTables(c));
    if (o.json === true) {
      io.out(json({ feature_tables: tables.map((t) => ({ ...t.spec, latestVersion: t.record.latestVersion, lastEnd: t.record.lastEnd })) }));
      return;
    }
    io.out(
      formatTable(
        ['NAME', 'KEYS', 'TIMESTAMP', 'FEATURES', 'TTL', 'VERSION', 'COMPUTED UP TO (UTC)', 'OWNER'],
        tables.map((t) => [t.spec.name, t.spec.keys.map((k) => k.name).join(','), t.spec.timestampKey ?? '', t.spec.features.length, formatTtl(t.spec.ttlMs), t.record.latestVersion || '', formatTime(t.record.lastEnd), t.spec.owner ?? '']),
        { empty: '(no feature tables; run `hangar features apply`)' },
      ),
    );
  });

  dataOptions(features.command('show').argument('<name>', 'feature table name').description('show a feature table: definition and versions')).action(async (name: string, o: Flags) => {
    const { getFeatureTable, featureStoreOf, formatTtl, sensitiveFeatures, sensitiveFeatureToWire } = await dataModule();
    const { table, versions } = await withDataContext(io, o, async (c) => ({ table: await getFeatureTable(c, name), versions: await featureStoreOf(c).listVersions(name) }));
    const sensitive = sensitiveFeatures(table.spec).map(sensitiveFeatureToWire);
    if (o.json === true) {
      io.out(json({ spec: table.spec, record: table.record, versions, sensitive_features: sensitive }));
      return;
    }
    const s = table.spec;
    io.out(
      formatFields([
        ['name', s.name],
        ['keys', s.keys.map((k) => `${k.name} (${k.type})`).join(', ')],
        ['timestamp key', s.timestampKey ?? '(none)'],
        ...(s.createdTimestampKey === undefined ? [] : [['created timestamp', s.createdTimestampKey] as [string, string]]),
        ['ttl', formatTtl(s.ttlMs)],
        ['source', s.source.kind === 'sql' ? s.source.sql : `transform ${s.source.module}${s.source.export === undefined ? '' : `#${s.source.export}`}`],
        ['description', s.description ?? ''],
        ['owner', s.owner ?? ''],
        ['tags', Object.entries(s.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')],
        ['sensitive', sensitive.length === 0 ? 'none' : sensitive.map((f) => `${f.feature} (${f.reason})`).join(', ')],
      ]),
    );
    io.out(`\n${formatTable(['FEATURE', 'TYPE', 'TAGS', 'DESCRIPTION'], s.features.map((f) => [f.name, f.type, Object.entries(f.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', '), f.description ?? '']))}`);
    io.out(
      `\n${formatTable(
        ['VERSION', 'MODE', 'FROM (UTC)', 'TO (UTC)', 'ROWS', 'TOTAL ROWS', 'CREATED (UTC)'],
        versions.map((v) => [v.version, v.mode, formatTime(v.startTs), formatTime(v.endTs), v.rowCount, v.totalRows, formatTime(v.creationTimestamp)]),
        { empty: `(not computed yet; run \`hangar features compute ${name}\`)` },
      )}`,
    );
  });

  // --- services ------------------------------------------------------------------------------------
  const services = features.command('services').description('feature services: named lists of features a model uses (registered by `hangar features apply`)');

  dataOptions(services.command('list').description('list registered feature services')).action(async (o: Flags) => {
    const { listFeatureServices, featureServiceToWire } = await dataModule();
    const list = await withDataContext(io, o, (c) => listFeatureServices(c));
    if (o.json === true) {
      io.out(json({ feature_services: list.map(featureServiceToWire) }));
      return;
    }
    io.out(
      formatTable(
        ['NAME', 'VERSION', 'FEATURES', 'TABLES', 'UPDATED (UTC)', 'OWNER'],
        list.map((s) => [s.spec.name, s.record.version, s.spec.features.length, [...new Set(s.spec.features.map((f) => f.slice(0, f.indexOf(':'))))].join(','), formatTime(s.record.lastUpdatedTimestamp), s.spec.owner ?? '']),
        { empty: '(no feature services; declare them beside the tables and run `hangar features apply`)' },
      ),
    );
  });

  dataOptions(services.command('get').argument('<name>', 'feature service name').description('show a feature service and its feature references')).action(async (name: string, o: Flags) => {
    const { getFeatureService, featureServiceToWire } = await dataModule();
    const s = await withDataContext(io, o, (c) => getFeatureService(c, name));
    if (o.json === true) {
      io.out(json({ feature_service: featureServiceToWire(s) }));
      return;
    }
    io.out(
      formatFields([
        ['name', s.spec.name],
        ['version', String(s.record.version)],
        ['description', s.spec.description ?? ''],
        ['owner', s.spec.owner ?? ''],
        ['tags', Object.entries(s.spec.tags ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')],
        ['created (UTC)', formatTime(s.record.creationTimestamp)],
        ['updated (UTC)', formatTime(s.record.lastUpdatedTimestamp)],
      ]),
    );
    io.out(`\n${formatTable(['FEATURE TABLE', 'FEATURE'], s.spec.features.map((f) => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)]))}`);
  });

  dataOptions(services.command('delete').argument('<name>', 'feature service name').description('delete a feature service (its tables stay)')).action(async (name: string, o: Flags) => {
    const { deleteFeatureService } = await dataModule();
    await withDataContext(io, o, (c) => deleteFeatureService(c, name));
    io.out(o.json === true ? json({ deleted: name }) : `Deleted feature service ${name}\n`);
  });

  // --- compute -------------------------------------------------------------------------------------
  dataOptions(
    features
      .command('compute')
      .argument('<name>', 'feature table name')
      .description('compute a new offline version (Parquet): only rows since the last end, unless --full')
      .option('--start <time>', 'with --full (or the first time): first timestamp to include (ISO 8601 or epoch ms)', instant)
      .option('--end <time>', 'exclusive end of the range (default: now)', instant)
      .option('--full', 'recompute every row in [--start, --end) instead of the new range only'),
  )
    .addHelpText(
      'after',
      `
A compute checks the declared columns and types, that keys and timestamps are not null and that
no primary key repeats at the same timestamp (DATA_EXPECTATION_FAILED naming the columns);
nothing is published unless every check passes.

Examples:
  hangar features compute origin_daily                     # incremental, up to now
  hangar features compute origin_daily --full --end 2001-07-01`,
    )
    .action(async (name: string, o: Flags & { start?: number; end?: number; full?: boolean }) => {
      const { computeFeatureTable } = await dataModule();
      const r = await withDataContext(io, o, (c) =>
        computeFeatureTable(c, name, {
          ...(o.start === undefined ? {} : { start: o.start }),
          ...(o.end === undefined ? {} : { end: o.end }),
          ...(o.full === undefined ? {} : { full: o.full }),
          onProgress: phases(io, o.json === true),
        }),
      );
      if (o.json === true) {
        io.out(json({ version: r.version, ...(r.reason === undefined ? {} : { reason: r.reason }) }));
        return;
      }
      const v = r.version;
      io.out(`${name} version ${v.version} (${v.mode}${r.reason === undefined ? '' : `: ${r.reason}`}): ${v.rowCount} rows${v.mode === 'incremental' ? `, ${v.totalRows} in all` : ''}${v.endTs === null ? '' : `, up to ${formatTime(v.endTs)} UTC`}\n`);
    });

  // --- training-set --------------------------------------------------------------------------------
  dataOptions(
    features
      .command('training-set')
      .description('build a point-in-time-correct training set: labels joined with feature lookups, as Parquet')
      .option('--labels <path|sql>', "labels: .parquet/.csv, or SQL over files and dataset('name')")
      .option('--lookup <table[:feature,…]>', 'a feature lookup (repeatable); all features unless listed', repeatable)
      .option('--feature-service <name>', "the features of a feature service: one lookup per table it names (with --lookup, added after them)")
      .option('--timestamp-column <column>', "the labels' timestamp column (default: each table's timestamp key name)")
      .option('--rename <feature=name>', 'rename an output feature (repeatable)', repeatable)
      .option('--exclude <columns>', 'columns to leave out (comma-separated, repeatable)', idList)
      .option('--spec <file>', 'the request as YAML/JSON instead: {labels, lookups: [{table, features, rename, lookupKey, timestampLookupKey}], exclude}')
      .requiredOption('--out <path>', 'where to write the Parquet result')
      .option('--run-id <id>', 'log the lineage (training set and feature-table versions) to this run as dataset inputs'),
  )
    .addHelpText(
      'after',
      `
For each label row, each lookup takes the latest feature row with the same keys and a timestamp
at or before the label's (inclusive), within the table's TTL (0 = never expires); ties go to the
highest created timestamp; no match gives nulls and the label row stays.

Examples:
  hangar features training-set --labels labels.parquet --lookup origin_daily --lookup route_daily:route_delay_rate \\
      --timestamp-column date --out train.parquet
  hangar features training-set --labels labels.parquet --feature-service flights_delay_model_v1 --timestamp-column date --out train.parquet
  hangar features training-set --spec training-set.yaml --out train.parquet --run-id 3f2a…`,
    )
    .action(async (o: Flags & { labels?: string; lookup?: string[]; featureService?: string; timestampColumn?: string; rename?: string[]; exclude?: string[]; spec?: string; out: string; runId?: string }) => {
      const { createTrainingSet, parseLookupArg, getFeatureService } = await dataModule();
      type Lookup = Record<string, unknown> & { table: string };
      let request: { labels: string | { dataset: string; version?: number }; lookups: Lookup[]; exclude?: string[] };
      if (o.spec !== undefined) {
        if (o.featureService !== undefined) throw new HangarError('INVALID_PARAMETER_VALUE', 'Give --feature-service or --spec, not both: list the lookups in the spec.', { field: 'feature-service' });
        const { parse } = await import('yaml');
        request = parse(await readFile(o.spec, 'utf8')) as typeof request;
      } else {
        if (o.labels === undefined) throw new HangarError('INVALID_PARAMETER_VALUE', 'Give --labels (or --spec).', { field: 'labels' });
        if ((o.lookup === undefined || o.lookup.length === 0) && o.featureService === undefined) {
          throw new HangarError('INVALID_PARAMETER_VALUE', 'Give at least one --lookup TABLE[:feature,…], or --feature-service NAME.', { field: 'lookup' });
        }
        request = { labels: o.labels, lookups: (o.lookup ?? []).map((arg) => ({ ...parseLookupArg(arg) })) };
        if (o.exclude !== undefined) request.exclude = o.exclude;
      }
      const ts = await withDataContext(io, o, async (c) => {
        if (o.featureService !== undefined) {
          // A service's references grouped by table, in the order the service first names each table.
          const byTable = new Map<string, string[]>();
          for (const ref of (await getFeatureService(c, o.featureService)).spec.features) {
            const i = ref.indexOf(':');
            byTable.set(ref.slice(0, i), [...(byTable.get(ref.slice(0, i)) ?? []), ref.slice(i + 1)]);
          }
          request.lookups.push(...[...byTable].map(([table, features]) => ({ table, features })));
        }
        if (o.spec === undefined) {
          for (const l of request.lookups) if (o.timestampColumn !== undefined) l.timestampLookupKey = o.timestampColumn;
          // A rename applies to the lookup whose (chosen) features include the name; checked by createTrainingSet.
          for (const r of o.rename ?? []) {
            const m = /^([^=]+)=(.+)$/.exec(r);
            if (m === null) throw new HangarError('INVALID_PARAMETER_VALUE', `--rename '${r}' must be feature=new_name`, { field: 'rename' });
            const target = request.lookups.find((l) => (l.features as string[] | undefined)?.includes(m[1]!)) ?? request.lookups[0]!;
            target.rename = { ...(target.rename as Record<string, string> | undefined), [m[1]!]: m[2]! };
          }
        }
        return createTrainingSet(c, request as Parameters<typeof createTrainingSet>[1], { out: o.out, ...(o.runId === undefined ? {} : { runId: o.runId }), onProgress: phases(io, o.json === true) });
      });
      if (o.json === true) {
        io.out(json({ training_set_id: ts.id, out: ts.output, row_count: ts.rowCount, columns: ts.schema.map((c) => c.name), lineage: ts.lineage, run_id: ts.runId }));
        return;
      }
      io.out(`Training set ${ts.id}: ${ts.rowCount} rows × ${ts.schema.length} columns → ${ts.output}\n`);
      io.out(formatTable(['FEATURE TABLE', 'VERSION', 'FEATURES'], ts.lineage.map((l) => [l.table, l.version, l.features.join(', ')])));
      io.err(`Train on it with: hangar train --data ${ts.output} --target <label> --training-set ${ts.id} --exclude <key and timestamp columns>\n`);
    });

  registerScoreCommand(program, io);
}

// --- hangar score ---------------------------------------------------------------------------------

interface ScoreFlags extends StoreFlags {
  data: string;
  out: string;
  trackingUri: string;
  batchRows?: number;
  json?: boolean;
}

function registerScoreCommand(program: Command, io: CliIo): void {
  storeOptions(
    program
      .command('score')
      .argument('<model-uri>', 'models:/NAME/VERSION (or /STAGE, @ALIAS), runs:/RUN/PATH, or a local package directory')
      .description('batch-score entity keys and timestamps: the model\'s features are looked up point-in-time, predictions written as Parquet')
      .requiredOption('--data <path|sql>', 'entity keys and timestamps (.parquet, .csv, or SQL)')
      .requiredOption('--out <path>', 'where to write the predictions (Parquet: the input columns, prediction, probability)')
      .option('--tracking-uri <uri>', 'the server the model is loaded from', io.env.MLFLOW_TRACKING_URI ?? DEFAULT_TRACKING_URI)
      .option('--batch-rows <n>', 'rows per prediction batch', (v) => {
        if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError('Not a positive whole number.');
        return Number(v);
      })
      .option('--json', 'print JSON'),
    true,
  )
    .addHelpText(
      'after',
      `
The model must carry feature_spec.yaml (written by \`hangar train --training-set\`); the feature
tables are read from the metadata database and artifact root the store flags name.
Progress (rows scored, %) goes to stderr.

Example:
  hangar score models:/flights@champion --data keys.parquet --out scored.parquet`,
    )
    .action(async (uri: string, o: ScoreFlags) => {
      const [{ loadModel }, { scoreWithFeatures, parseFeatureSpec, FEATURE_SPEC_FILE }] = await Promise.all([import('../../models/index.js'), dataModule()]);
      const client = clientFor(io, o.trackingUri);
      if (!o.json) io.err(`loading ${uri}\n`);
      const model = await loadModel(client, uri);
      try {
        const specPath = join(model.dir, FEATURE_SPEC_FILE);
        if (!existsSync(specPath)) {
          throw new HangarError('INVALID_PARAMETER_VALUE', `${uri} has no ${FEATURE_SPEC_FILE}: it was not trained from a training set (hangar train --training-set); score it with its features included instead`, { field: 'model-uri' });
        }
        const featureSpec = parseFeatureSpec(await readFile(specPath, 'utf8'));
        let lastPct = -1;
        const r = await withDataContext(io, o, (c) =>
          scoreWithFeatures(c, {
            data: o.data,
            out: o.out,
            featureSpec,
            ...(o.batchRows === undefined ? {} : { batchRows: o.batchRows }),
            predict: async (rows) => {
              const p = await model.predict(rows);
              const prediction = p.labels ?? Array.from(p.values ?? []);
              return p.problem === 'binary' && p.values !== undefined ? { prediction, probability: p.values } : { prediction };
            },
            onProgress: (done, total) => {
              if (o.json === true) return;
              const pct = total === 0 ? 100 : Math.floor((100 * done) / total);
              if (pct !== lastPct) io.err(`scored ${done}/${total} rows (${pct}%)\n`);
              lastPct = pct;
            },
          }),
        );
        if (o.json === true) {
          io.out(json({ rows: r.rows, out: r.out, columns: r.columns, feature_tables: r.lineage }));
          return;
        }
        io.out(`Scored ${r.rows} rows with ${uri} → ${r.out}\n`);
        io.out(formatTable(['FEATURE TABLE', 'VERSION'], r.lineage.map((l) => [l.table, l.version])));
      } finally {
        await model.close();
      }
    });
}

// --- the `hangar train --training-set` hook ---------------------------------------------------------

/**
 * What `hangar train --training-set ID|FILE` adds to a training run: a `hangar.training_set`
 * tag, a `hangar.sensitive_features` tag (comma-separated `table:feature` references, from the
 * training set's lineage; only when there are any), and `feature_spec.yaml` next to `MLmodel` in
 * the model package so `hangar score` can look the features up again. The tags also go on the
 * logged model and the registered version. `ID` is fetched from the server (REST
 * `training-sets/get`); `FILE` is a `feature_spec.yaml` already written.
 */
export async function trainingSetHook(io: CliIo, trackingUri: string, arg: string): Promise<{ tags: Record<string, string>; files: Record<string, string> }> {
  const { featureSpecYaml, parseFeatureSpec, FEATURE_SPEC_FILE, SENSITIVE_FEATURES_TAG } = await dataModule();
  const { FeaturesClient } = await import('../../client/index.js');
  let text: string;
  if (existsSync(arg)) {
    text = await readFile(arg, 'utf8');
  } else {
    const ts = await new FeaturesClient({ trackingUri, token: io.env.MLFLOW_TRACKING_TOKEN, maxRetries: 2 }).getTrainingSet(arg);
    text = featureSpecYaml({ id: ts.id, spec: ts.request, lineage: ts.lineage });
  }
  const spec = parseFeatureSpec(text);
  const sensitive = [...new Set((spec.lineage ?? []).flatMap((l) => (l.sensitive ?? []).map((s) => s.feature)))];
  const tags: Record<string, string> = { 'hangar.training_set': spec.trainingSetId ?? arg };
  if (sensitive.length > 0) tags[SENSITIVE_FEATURES_TAG] = sensitive.join(',');
  return { tags, files: { [FEATURE_SPEC_FILE]: text } };
}
