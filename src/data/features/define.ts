/**
 * Feature tables and feature services as code: the input format (TypeScript/JavaScript modules
 * and `features.yaml`), its validation into `FeatureTableSpec` and `FeatureServiceSpec`, and
 * loading definitions from disk. Every error names the table or service and the field it is
 * about, e.g. `flights_origin.ttl` or `driver_activity_v1.features[2]`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type TypeScript from 'typescript';
import { z } from 'zod';
import { HangarError, invalidParam } from '../../core/errors.js';
import type { FeatureServiceSpec, FeatureSource, FeatureSpec, FeatureTableSpec, FeatureType, KeySpec } from './spec.js';

export const FEATURE_TYPES: readonly FeatureType[] = ['double', 'long', 'boolean', 'string', 'timestamp'];
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A feature table as written by hand: shorthands allowed, TTL as a duration. */
export interface FeatureTableInput {
  /** Unique name, `[A-Za-z_][A-Za-z0-9_]*`. */
  name: string;
  /** Primary-key columns in lookup order: `['origin']` (strings) or `[{name, type}]`. */
  keys: Array<string | KeySpec>;
  /** The event-time column (TIMESTAMP or DATE in the source). */
  timestampKey?: string;
  /** A column saying when each row was written; breaks ties between equal timestamps. */
  createdTimestampKey?: string;
  /** Features: `[{name, type, description?, tags?}]` or `{name: type}`. */
  features: FeatureSpec[] | Record<string, FeatureType>;
  /** SQL text, `{sql}`, or `{transform: './module.ts', export?, input?}`. */
  source: string | { sql: string } | { transform: string; export?: string; input?: string } | FeatureSource;
  /** `'7d'`, `'12h'`, `'30m'`, `'45s'`, `'500ms'`, `'2w'`, or milliseconds; `0` (default) never expires. */
  ttl?: string | number;
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}

const TABLE_MARK = Symbol.for('hangar.featureTable');
const SERVICE_MARK = Symbol.for('hangar.featureService');

/** Tag a definition object with a hidden mark, so a module's named exports can be told apart. */
function mark<T extends object>(input: T, symbol: symbol): T {
  Object.defineProperty(input, symbol, { value: true, enumerable: false });
  return input;
}

const marked = (v: unknown, symbol: symbol): boolean => v !== null && typeof v === 'object' && (v as Record<symbol, unknown>)[symbol] === true;

/** Declare one feature table in a module (`export const origin = defineFeatureTable({...})`). Validated when loaded. */
export function defineFeatureTable(input: FeatureTableInput): FeatureTableInput {
  return mark(input, TABLE_MARK);
}

/** Declare several feature tables (`export default defineFeatureTables([...])`). */
export function defineFeatureTables(inputs: FeatureTableInput[]): FeatureTableInput[] {
  return inputs.map(defineFeatureTable);
}

/** A feature service as written by hand. */
export interface FeatureServiceInput {
  /** Unique name, `[A-Za-z_][A-Za-z0-9_]*`, e.g. `driver_activity_v1`. */
  name: string;
  /** Feature references `table:feature`, or `table:*` for every feature of the table; at least one. */
  features: string[];
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}

/** Declare a feature service in a module (`export const v1 = defineFeatureService({...})`). Validated when loaded and again when applied. */
export function defineFeatureService(input: FeatureServiceInput): FeatureServiceInput {
  return mark(input, SERVICE_MARK);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A TTL in milliseconds: `'7d'`, `'12h'`, `'30m'`, `'45s'`, `'500ms'`, `'2w'`, `'1h30m'`, a
 * whole number of milliseconds, or `0` / `'0'` (never expires). INVALID_PARAMETER_VALUE naming
 * `field` otherwise.
 */
export function parseTtl(value: unknown, field = 'ttl'): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
    throw invalidParam(`${field} must be a duration such as '7d', '12h' or '30m', or 0 (never expires); got ${value}`, field);
  }
  if (typeof value === 'string') {
    const s = value.trim();
    if (/^\d+$/.test(s)) return parseTtl(Number(s), field);
    if (/^(\d+(ms|s|m|h|d|w))+$/.test(s)) {
      let total = 0;
      for (const m of s.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNITS[m[2]!]!;
      if (Number.isSafeInteger(total)) return total;
    }
  }
  throw invalidParam(`${field} must be a duration such as '7d', '12h' or '30m', or 0 (never expires); got ${JSON.stringify(value)}`, field);
}

/** A TTL in milliseconds as the shortest duration text (`0` for never). */
export function formatTtl(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of [['w', UNITS.w!], ['d', UNITS.d!], ['h', UNITS.h!], ['m', UNITS.m!], ['s', UNITS.s!]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const stringMap = z.record(z.string(), z.string());

function fieldOf(issue: z.core.$ZodIssue, prefix: string): string {
  return [prefix, ...issue.path.map(String)].join('.');
}

/** Read `o[camel] ?? o[snake]`, so YAML may use snake_case. */
function pick(o: Record<string, unknown>, camel: string): unknown {
  if (o[camel] !== undefined) return o[camel];
  return o[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

function parseSource(raw: unknown, field: string, baseDir: string | undefined): FeatureSource {
  if (typeof raw === 'string') {
    if (raw.trim() === '') throw invalidParam(`${field} is empty`, field);
    return { kind: 'sql', sql: raw };
  }
  if (raw === null || typeof raw !== 'object') throw invalidParam(`${field} must be SQL text, {sql}, or {transform: 'module.ts'}`, field);
  const o = raw as Record<string, unknown>;
  if (typeof o.sql === 'string' && o.sql.trim() !== '') return { kind: 'sql', sql: o.sql };
  const module = o.transform ?? o.module;
  if (typeof module === 'string' && module !== '') {
    const src: FeatureSource = { kind: 'transform', module: baseDir === undefined || module.startsWith('/') ? module : resolve(baseDir, module) };
    const exp = o.export;
    if (exp !== undefined) {
      if (typeof exp !== 'string' || !NAME.test(exp)) throw invalidParam(`${field}.export must be an export name`, `${field}.export`);
      src.export = exp;
    }
    if (o.input !== undefined) {
      if (typeof o.input !== 'string' || o.input.trim() === '') throw invalidParam(`${field}.input must be SQL text, dataset('name') or a file path`, `${field}.input`);
      src.input = o.input;
    }
    return src;
  }
  throw invalidParam(`${field} must be SQL text, {sql}, or {transform: 'module.ts'}`, field);
}

/**
 * Validate one hand-written definition into a `FeatureTableSpec`. `baseDir` resolves a
 * transform module's relative path. INVALID_PARAMETER_VALUE naming the field (`<table>.<field>`).
 */
export function toFeatureTableSpec(raw: unknown, options: { baseDir?: string; position?: number } = {}): FeatureTableSpec {
  const where = options.position === undefined ? 'feature table' : `feature table #${options.position + 1}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidParam(`A ${where} must be an object`, 'tables');
  const o = raw as Record<string, unknown>;
  const name = o.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidParam(`${where}: name must match [A-Za-z_][A-Za-z0-9_]*; got ${JSON.stringify(name)}`, 'name');
  }
  const f = (field: string): string => `${name}.${field}`;

  // keys
  const rawKeys = o.keys ?? o.primaryKeys ?? o.primary_keys;
  if (!Array.isArray(rawKeys) || rawKeys.length === 0) throw invalidParam(`${f('keys')} must list at least one primary-key column`, f('keys'));
  const keys: KeySpec[] = rawKeys.map((k, i) => {
    const field = f(`keys[${i}]`);
    const spec = typeof k === 'string' ? { name: k, type: 'string' } : k;
    const parsed = z.object({ name: z.string(), type: z.enum(['string', 'long']) }).strict().safeParse(spec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalidParam(`${fieldOf(issue, field)}: ${issue.path.at(-1) === 'type' ? "a key's type is 'string' or 'long'" : issue.message}`, fieldOf(issue, field));
    }
    if (!NAME.test(parsed.data.name)) throw invalidParam(`${field}.name must match [A-Za-z_][A-Za-z0-9_]*; got '${parsed.data.name}'`, `${field}.name`);
    return parsed.data;
  });

  const tsRaw = pick(o, 'timestampKey');
  if (tsRaw !== undefined && (typeof tsRaw !== 'string' || !NAME.test(tsRaw))) throw invalidParam(`${f('timestampKey')} must be a column name`, f('timestampKey'));
  const createdRaw = pick(o, 'createdTimestampKey');
  if (createdRaw !== undefined && (typeof createdRaw !== 'string' || !NAME.test(createdRaw))) {
    throw invalidParam(`${f('createdTimestampKey')} must be a column name`, f('createdTimestampKey'));
  }
  if (createdRaw !== undefined && tsRaw === undefined) throw invalidParam(`${f('createdTimestampKey')} needs a timestampKey`, f('createdTimestampKey'));

  // features
  const rawFeatures = o.features;
  let featureList: unknown[];
  if (Array.isArray(rawFeatures)) featureList = rawFeatures;
  else if (rawFeatures !== null && typeof rawFeatures === 'object') featureList = Object.entries(rawFeatures).map(([n, t]) => (typeof t === 'string' ? { name: n, type: t } : { name: n, ...(t as object) }));
  else throw invalidParam(`${f('features')} must list the features: [{name, type}] or {name: type}`, f('features'));
  const features: FeatureSpec[] = featureList.map((x, i) => {
    const field = f(`features[${i}]`);
    const parsed = z
      .object({ name: z.string(), type: z.string(), description: z.string().optional(), tags: stringMap.optional() })
      .strict()
      .safeParse(x);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalidParam(`${fieldOf(issue, field)}: ${issue.message}`, fieldOf(issue, field));
    }
    const { type, ...rest } = parsed.data;
    if (!NAME.test(rest.name)) throw invalidParam(`${field}.name must match [A-Za-z_][A-Za-z0-9_]*; got '${rest.name}'`, `${field}.name`);
    if (!(FEATURE_TYPES as readonly string[]).includes(type)) {
      throw invalidParam(`${f(`features.${rest.name}.type`)}: unknown feature type '${type}'; known types: ${FEATURE_TYPES.join(', ')}`, f(`features.${rest.name}.type`));
    }
    return { ...rest, type: type as FeatureType };
  });

  // every column name once
  const seen = new Map<string, string>();
  const claim = (col: string, role: string): void => {
    const prior = seen.get(col);
    if (prior !== undefined) throw invalidParam(`${name}: column '${col}' is declared twice (${prior} and ${role})`, f(role === 'feature' ? `features.${col}` : role));
    seen.set(col, role);
  };
  for (const k of keys) claim(k.name, 'keys');
  if (typeof tsRaw === 'string') claim(tsRaw, 'timestampKey');
  if (typeof createdRaw === 'string') claim(createdRaw, 'createdTimestampKey');
  for (const feat of features) claim(feat.name, 'feature');

  const spec: FeatureTableSpec = {
    name,
    keys,
    features,
    source: parseSource(o.source, f('source'), options.baseDir),
    ttlMs: parseTtl(o.ttl ?? pick(o, 'ttlMs'), f('ttl')),
  };
  if (typeof tsRaw === 'string') spec.timestampKey = tsRaw;
  if (typeof createdRaw === 'string') spec.createdTimestampKey = createdRaw;
  for (const k of ['description', 'owner'] as const) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw invalidParam(`${f(k)} must be text`, f(k));
    spec[k] = v;
  }
  if (o.tags !== undefined && o.tags !== null) {
    const tags = stringMap.safeParse(o.tags);
    if (!tags.success) throw invalidParam(`${f('tags')} must map names to text values`, f('tags'));
    spec.tags = tags.data;
  }
  const known = new Set(['name', 'keys', 'primaryKeys', 'primary_keys', 'timestampKey', 'timestamp_key', 'createdTimestampKey', 'created_timestamp_key', 'features', 'source', 'ttl', 'ttlMs', 'ttl_ms', 'description', 'owner', 'tags']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw invalidParam(`${name}: unknown field '${k}'`, f(k));
  return spec;
}

/** Validate a list of definitions: each as `toFeatureTableSpec`, and no name twice. */
export function toFeatureTableSpecs(raws: unknown[], baseDir?: string): FeatureTableSpec[] {
  const specs = raws.map((r, i) => toFeatureTableSpec(r, { position: i, ...(baseDir === undefined ? {} : { baseDir }) }));
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw invalidParam(`Feature table '${s.name}' is defined twice`, `${s.name}.name`);
    names.add(s.name);
  }
  return specs;
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*):([A-Za-z_][A-Za-z0-9_]*|\*)$/;

/**
 * Validate one hand-written feature service: its name, at least one reference, each of the form
 * `table:feature` or `table:*`, no reference twice. Whether the tables and features exist is
 * checked when the service is applied (`applyFeatureServices`). INVALID_PARAMETER_VALUE naming
 * the field (`<service>.features[2]`).
 */
export function toFeatureServiceSpec(raw: unknown, options: { position?: number } = {}): FeatureServiceSpec {
  const where = options.position === undefined ? 'feature service' : `feature service #${options.position + 1}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalidParam(`A ${where} must be an object`, 'services');
  const o = raw as Record<string, unknown>;
  const name = o.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidParam(`${where}: name must match [A-Za-z_][A-Za-z0-9_]*; got ${JSON.stringify(name)}`, 'name');
  }
  const f = (field: string): string => `${name}.${field}`;
  const refs = o.features;
  if (!Array.isArray(refs) || refs.length === 0) throw invalidParam(`${f('features')} must list at least one feature reference 'table:feature' (or 'table:*')`, f('features'));
  const seen = new Map<string, number>();
  const features = refs.map((ref, i) => {
    const field = f(`features[${i}]`);
    if (typeof ref !== 'string' || !REFERENCE.test(ref)) throw invalidParam(`${field}: expected 'table:feature' or 'table:*'; got ${JSON.stringify(ref)}`, field);
    const before = seen.get(ref);
    if (before !== undefined) throw invalidParam(`${field}: '${ref}' is listed twice (also at features[${before}])`, field);
    seen.set(ref, i);
    return ref;
  });
  const spec: FeatureServiceSpec = { name, features };
  for (const k of ['description', 'owner'] as const) {
    const v = o[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw invalidParam(`${f(k)} must be text`, f(k));
    spec[k] = v;
  }
  if (o.tags !== undefined && o.tags !== null) {
    const tags = stringMap.safeParse(o.tags);
    if (!tags.success) throw invalidParam(`${f('tags')} must map names to text values`, f('tags'));
    spec.tags = tags.data;
  }
  const known = new Set(['name', 'features', 'description', 'owner', 'tags']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw invalidParam(`${name}: unknown field '${k}'`, f(k));
  return spec;
}

/** Validate a list of feature services: each as `toFeatureServiceSpec`, and no name twice. */
export function toFeatureServiceSpecs(raws: unknown[]): FeatureServiceSpec[] {
  const specs = raws.map((r, i) => toFeatureServiceSpec(r, { position: i }));
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw invalidParam(`Feature service '${s.name}' is defined twice`, `${s.name}.name`);
    names.add(s.name);
  }
  return specs;
}

/** Feature tables and feature services read from one definitions file. */
export interface Definitions {
  tables: FeatureTableSpec[];
  services: FeatureServiceSpec[];
}

/** The spec as canonical JSON (keys sorted), so equal specs give equal text and digests. */
export function canonicalSpecJson(spec: FeatureTableSpec | FeatureServiceSpec): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, sort((v as Record<string, unknown>)[k])]));
    return v;
  };
  return JSON.stringify(sort(spec));
}

/** sha256 of the canonical spec, 16 hex characters. */
export function specDigest(spec: FeatureTableSpec | FeatureServiceSpec): string {
  return createHash('sha256').update(canonicalSpecJson(spec)).digest('hex').slice(0, 16);
}

const DEFINITION_FILES = ['features.yaml', 'features.yml', 'features.ts', 'features.mts', 'features.js', 'features.mjs'];

/** Feature tables from YAML: a list of tables, or `{tables: [...]}` / `{feature_tables: [...]}`. */
export function specsFromYaml(text: string, baseDir?: string, file = 'features.yaml'): FeatureTableSpec[] {
  return definitionsFromYaml(text, baseDir, file).tables;
}

/**
 * Tables and services from YAML: a list of tables, or a mapping with `tables:` (or
 * `feature_tables:`) and `services:` (or `feature_services:`), at least one of them.
 */
export function definitionsFromYaml(text: string, baseDir?: string, file = 'features.yaml'): Definitions {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `${file} is not valid YAML: ${(e as Error).message}`, { field: file, cause: e });
  }
  if (Array.isArray(doc)) return { tables: toFeatureTableSpecs(doc, baseDir), services: [] };
  const o = doc !== null && typeof doc === 'object' ? (doc as Record<string, unknown>) : {};
  const tables = o.tables ?? o.feature_tables;
  const services = o.services ?? o.feature_services;
  if (tables !== undefined && !Array.isArray(tables)) throw invalidParam(`${file}: 'tables' must be a list of feature tables`, `${file}.tables`);
  if (services !== undefined && !Array.isArray(services)) throw invalidParam(`${file}: 'services' must be a list of feature services`, `${file}.services`);
  if (tables === undefined && services === undefined) throw invalidParam(`${file} must hold a list of feature tables (or 'tables:' and 'services:' with lists)`, file);
  return { tables: toFeatureTableSpecs((tables ?? []) as unknown[], baseDir), services: toFeatureServiceSpecs((services ?? []) as unknown[]) };
}

/** Import a module; a TypeScript file Node cannot load is transpiled (with `typescript`) beside itself first. */
async function importModule(path: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (!/\.(ts|mts)$/.test(path) || (code !== 'ERR_UNKNOWN_FILE_EXTENSION' && code !== 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING')) throw e;
  }
  return importTranspiled(path);
}

/**
 * Import a TypeScript module under plain Node: transpile it with `typescript` to a hidden
 * `.mjs` beside the source (so its relative imports of JavaScript modules and packages resolve
 * as written; it may not import other `.ts` files), import that, and remove it.
 */
export async function importTranspiled(path: string): Promise<Record<string, unknown>> {
  let ts: typeof TypeScript;
  try {
    ts = (await import('typescript')).default;
  } catch (e) {
    throw new HangarError('INVALID_PARAMETER_VALUE', `Loading ${basename(path)} needs the 'typescript' package; install it, or write the definitions as .js or features.yaml`, { field: 'path', cause: e });
  }
  const out = ts.transpileModule(await readFile(path, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 }, fileName: path });
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.mjs`);
  await writeFile(tmp, out.outputText);
  try {
    return (await import(pathToFileURL(tmp).href)) as Record<string, unknown>;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Feature tables exported by a module (see {@link definitionsFromModule}). */
export async function specsFromModule(path: string): Promise<FeatureTableSpec[]> {
  return (await definitionsFromModule(path)).tables;
}

/**
 * Definitions exported by a module: the default export (one table, a list, or
 * `{tables, services}`), plus named exports made by `defineFeatureTable` and
 * `defineFeatureService`. In a list, an object made by `defineFeatureService` is a service.
 */
export async function definitionsFromModule(path: string): Promise<Definitions> {
  const mod = await importModule(path);
  const tables: unknown[] = [];
  const services: unknown[] = [];
  const pushOnce = (list: unknown[], v: unknown): void => {
    if (!list.includes(v)) list.push(v);
  };
  const add = (v: unknown): void => pushOnce(marked(v, SERVICE_MARK) ? services : tables, v);
  const d = mod.default;
  if (Array.isArray(d)) (d as unknown[]).forEach(add);
  else if (d !== null && typeof d === 'object') {
    const o = d as Record<string, unknown>;
    if (o.tables !== undefined || o.services !== undefined) {
      for (const [key, list] of [['tables', o.tables], ['services', o.services]] as const) {
        if (list === undefined) continue;
        if (!Array.isArray(list)) throw invalidParam(`${basename(path)}: the default export's '${key}' must be a list`, key);
        if (key === 'tables') (list as unknown[]).forEach(add);
        else for (const s of list as unknown[]) pushOnce(services, s);
      }
    } else add(d);
  }
  for (const [k, v] of Object.entries(mod)) {
    if (k === 'default' || v === null || typeof v !== 'object') continue;
    if (marked(v, TABLE_MARK) || marked(v, SERVICE_MARK)) add(v);
  }
  if (tables.length === 0 && services.length === 0) {
    throw invalidParam(`${basename(path)} exports no feature tables or services (export default defineFeatureTables([...]), {tables, services}, or named defineFeatureTable(...) / defineFeatureService(...) exports)`, 'path');
  }
  return { tables: toFeatureTableSpecs(tables, dirname(path)), services: toFeatureServiceSpecs(services) };
}

/**
 * Load definitions from a file (`.yaml`/`.yml`, `.ts`/`.mts`/`.js`/`.mjs`) or a directory holding
 * one of `features.yaml|yml|ts|mts|js|mjs`. Transform modules resolve relative to the file.
 * `specs` are the feature tables, `services` the feature services (not yet checked against the
 * tables: `applyFeatureServices` does that).
 */
export async function loadDefinitions(path: string): Promise<{ file: string; specs: FeatureTableSpec[]; services: FeatureServiceSpec[] }> {
  let file = resolve(path);
  if (!existsSync(file)) throw new HangarError('RESOURCE_DOES_NOT_EXIST', `No feature definitions at ${path}`, { field: 'path' });
  if (statSync(file).isDirectory()) {
    const found = DEFINITION_FILES.map((n) => join(file, n)).find((p) => existsSync(p));
    if (found === undefined) throw new HangarError('RESOURCE_DOES_NOT_EXIST', `No feature definitions in ${path}: looked for ${DEFINITION_FILES.join(', ')}`, { field: 'path' });
    file = found;
  }
  const ext = extname(file).toLowerCase();
  let defs: Definitions;
  if (ext === '.yaml' || ext === '.yml') defs = definitionsFromYaml(await readFile(file, 'utf8'), dirname(file), basename(file));
  else if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) defs = await definitionsFromModule(file);
  else throw invalidParam(`Cannot read feature definitions from ${basename(file)}: use .yaml, .yml, .ts, .mts, .js or .mjs`, 'path');
  return { file, specs: defs.tables, services: defs.services };
}
