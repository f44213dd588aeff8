/**
 * Shape matching and variable substitution for the contract fixtures.
 *
 * Expected values are JSON with a few conventions, so a fixture can pin what the contract fixes
 * and stay loose about generated values:
 *
 * - `"${name}"` anywhere in a string is replaced by a captured variable (a string that is only
 *   `"${name}"` takes the captured value with its JSON type). `${repeat:x:250}` is 250 × `x`.
 * - Strings starting with `$` are matchers: `$any`, `$any_string`, `$nonempty_string`, `$hex32`,
 *   `$model_id`, `$int`, `$number`, `$epoch_ms`, `$bool`, `$absent` (the key must not be
 *   there), `$empty_or_absent` (absent, `[]`, `{}` or `""`: proto3 leaves empty fields out and
 *   the clients accept either), `$contains:<text>`, `$starts_with:<text>`, `$regex:<pattern>`,
 *   and `$capture:<name>[:<matcher>]`, which stores the value for later steps. `$$` escapes a
 *   literal leading `$`.
 * - Objects match when every expected key matches; extra keys are allowed, except that `{}`
 *   means exactly `{}` and `"$strict": true` forbids extra keys.
 * - Arrays match element by element with the same length. `{"$unordered": [...]}` allows any
 *   order, `{"$contains": [...]}` needs each element somewhere in a longer array,
 *   `{"$oneof": [...]}` takes any of several values, `{"$json": X}` parses a string and
 *   matches X.
 */

export type Vars = Map<string, unknown>;

/** A `${name}` whose variable an earlier step should have captured and did not. */
export class MissingVariable extends Error {
  constructor(readonly variable: string) {
    super(`variable \${${variable}} was not captured by an earlier step`);
  }
}

const VAR = /\$\{([^}]+)\}/g;

function lookupVar(name: string, vars: Vars, extra: Record<string, unknown>): unknown {
  const rep = /^repeat:(.+):(\d+)$/s.exec(name);
  if (rep) return rep[1]!.repeat(Number(rep[2]));
  if (Object.hasOwn(extra, name)) return extra[name];
  if (vars.has(name)) return vars.get(name);
  throw new MissingVariable(name);
}

/** Replace `${…}` in a string; a string that is exactly one reference keeps the value's type. */
export function substitute(text: string, vars: Vars, extra: Record<string, unknown> = {}): unknown {
  const whole = /^\$\{([^}]+)\}$/.exec(text);
  if (whole) return lookupVar(whole[1]!, vars, extra);
  return text.replace(VAR, (_m, name: string) => {
    const v = lookupVar(name, vars, extra);
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

/**
 * Build a request value from its template: substitute variables in every string and expand
 * `{"$repeat": n, "item": X}` into n copies of X with `${i}` set to 0…n-1.
 */
export function materialize(template: unknown, vars: Vars, extra: Record<string, unknown> = {}): unknown {
  if (typeof template === 'string') return substitute(template, vars, extra);
  if (Array.isArray(template)) return template.map((t) => materialize(t, vars, extra));
  if (template !== null && typeof template === 'object') {
    const obj = template as Record<string, unknown>;
    if (typeof obj.$repeat === 'number' && 'item' in obj) {
      return Array.from({ length: obj.$repeat }, (_, i) => materialize(obj.item, vars, { ...extra, i }));
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, materialize(v, vars, extra)]));
  }
  return template;
}

export interface Mismatch {
  /** JSON path of the value, e.g. `$.run.info.status`. */
  path: string;
  message: string;
}

interface Ctx {
  vars: Vars;
  mismatches: Mismatch[];
}

const show = (v: unknown): string => {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > 160 ? `${s.slice(0, 160)}…` : s;
};

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Simple matchers by name; each says whether the actual value passes. */
const SIMPLE: Record<string, (v: unknown) => boolean> = {
  any: (v) => v !== undefined,
  any_string: (v) => typeof v === 'string',
  nonempty_string: (v) => typeof v === 'string' && v.length > 0,
  hex32: (v) => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v),
  model_id: (v) => typeof v === 'string' && /^m-[0-9a-f]{32}$/.test(v),
  int: (v) => typeof v === 'number' && Number.isInteger(v),
  number: (v) => typeof v === 'number',
  // Epoch milliseconds of this century, as a JSON number (never a string).
  epoch_ms: (v) => typeof v === 'number' && Number.isInteger(v) && v > 946_684_800_000 && v < 4_102_444_800_000,
  bool: (v) => typeof v === 'boolean',
  absent: (v) => v === undefined,
  empty_or_absent: (v) =>
    v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0),
};

function matchString(expected: string, actual: unknown, path: string, ctx: Ctx): void {
  const fail = (what: string): void => {
    ctx.mismatches.push({ path, message: `expected ${what}, got ${show(actual)}` });
  };
  if (expected.startsWith('$$')) {
    if (actual !== expected.slice(1)) fail(show(expected.slice(1)));
    return;
  }
  if (!expected.startsWith('$') || expected.startsWith('${')) {
    const want = substitute(expected, ctx.vars);
    if (typeof want === 'string' ? actual !== want : JSON.stringify(actual) !== JSON.stringify(want)) fail(show(want));
    return;
  }
  const body = expected.slice(1);
  const colon = body.indexOf(':');
  const name = colon === -1 ? body : body.slice(0, colon);
  const arg = colon === -1 ? '' : body.slice(colon + 1);
  switch (name) {
    case 'capture': {
      const sep = arg.indexOf(':');
      const varName = sep === -1 ? arg : arg.slice(0, sep);
      const inner = sep === -1 ? '$any' : arg.slice(sep + 1);
      const before = ctx.mismatches.length;
      matchString(inner, actual, path, ctx);
      if (ctx.mismatches.length === before) ctx.vars.set(varName, actual);
      return;
    }
    case 'contains': {
      const want = String(substitute(arg, ctx.vars));
      if (typeof actual !== 'string' || !actual.includes(want)) fail(`a string containing ${show(want)}`);
      return;
    }
    case 'starts_with': {
      const want = String(substitute(arg, ctx.vars));
      if (typeof actual !== 'string' || !actual.startsWith(want)) fail(`a string starting with ${show(want)}`);
      return;
    }
    case 'regex': {
      const pattern = arg.replace(VAR, (_m, v: string) => escapeRegex(String(lookupVar(v, ctx.vars, {}))));
      if (typeof actual !== 'string' || !new RegExp(pattern, 's').test(actual)) fail(`a string matching /${pattern}/`);
      return;
    }
    default: {
      const test = Object.hasOwn(SIMPLE, name) ? SIMPLE[name] : undefined;
      if (test === undefined) throw new Error(`unknown matcher '${expected}' at ${path}`);
      if (!test(actual)) fail(expected);
    }
  }
}

/** Try a match without touching the real context; returns the would-be variables on success. */
function trial(expected: unknown, actual: unknown, path: string, vars: Vars): Vars | null {
  const scratch: Ctx = { vars: new Map(vars), mismatches: [] };
  matchInto(expected, actual, path, scratch);
  return scratch.mismatches.length === 0 ? scratch.vars : null;
}

function matchArrayAsSet(items: unknown[], actual: unknown, path: string, ctx: Ctx, exactLength: boolean): void {
  const op = exactLength ? '$unordered' : '$contains';
  if (!Array.isArray(actual)) {
    ctx.mismatches.push({ path, message: `expected an array (${op}), got ${show(actual)}` });
    return;
  }
  if (exactLength && actual.length !== items.length) {
    ctx.mismatches.push({ path, message: `expected ${items.length} elements in any order, got ${actual.length}: ${show(actual)}` });
    return;
  }
  // Backtracking assignment: arrays here are short, and a greedy pick could take an element a
  // later, stricter expectation needs.
  const used = new Array<boolean>(actual.length).fill(false);
  const assign = (i: number, vars: Vars): Vars | null => {
    if (i === items.length) return vars;
    for (let j = 0; j < actual.length; j++) {
      if (used[j]) continue;
      const next = trial(items[i], actual[j], `${path}[${j}]`, vars);
      if (next === null) continue;
      used[j] = true;
      const done = assign(i + 1, next);
      if (done !== null) return done;
      used[j] = false;
    }
    return null;
  };
  const result = assign(0, ctx.vars);
  if (result === null) {
    const missing = items.find((item) => !actual.some((a, j) => trial(item, a, `${path}[${j}]`, ctx.vars) !== null));
    const why = missing === undefined ? 'no one-to-one assignment exists' : `nothing matches ${show(missing)}`;
    ctx.mismatches.push({ path, message: `${op}: ${why}; got ${show(actual)}` });
    return;
  }
  for (const [k, v] of result) ctx.vars.set(k, v);
}

function matchInto(expected: unknown, actual: unknown, path: string, ctx: Ctx): void {
  if (typeof expected === 'string') return matchString(expected, actual, path, ctx);
  if (expected === null || typeof expected === 'number' || typeof expected === 'boolean') {
    if (actual !== expected) ctx.mismatches.push({ path, message: `expected ${show(expected)}, got ${show(actual)}` });
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) {
      ctx.mismatches.push({ path, message: `expected an array, got ${show(actual)}` });
      return;
    }
    if (actual.length !== expected.length) {
      ctx.mismatches.push({ path, message: `expected ${expected.length} elements, got ${actual.length}: ${show(actual)}` });
      return;
    }
    expected.forEach((e, i) => matchInto(e, actual[i], `${path}[${i}]`, ctx));
    return;
  }
  const exp = expected as Record<string, unknown>;
  if (Array.isArray(exp.$unordered)) return matchArrayAsSet(exp.$unordered, actual, path, ctx, true);
  if (Array.isArray(exp.$contains)) return matchArrayAsSet(exp.$contains, actual, path, ctx, false);
  if (Array.isArray(exp.$oneof)) {
    const ok = exp.$oneof.map((alt) => trial(alt, actual, path, ctx.vars)).find((v) => v !== null);
    if (ok === undefined) ctx.mismatches.push({ path, message: `expected one of ${show(exp.$oneof)}, got ${show(actual)}` });
    else for (const [k, v] of ok) ctx.vars.set(k, v);
    return;
  }
  if ('$json' in exp) {
    if (typeof actual !== 'string') {
      ctx.mismatches.push({ path, message: `expected a string holding JSON, got ${show(actual)}` });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(actual);
    } catch {
      ctx.mismatches.push({ path, message: `expected a string holding JSON, got ${show(actual)}` });
      return;
    }
    return matchInto(exp.$json, parsed, `${path}<json>`, ctx);
  }
  if (!isObject(actual)) {
    ctx.mismatches.push({ path, message: `expected an object, got ${show(actual)}` });
    return;
  }
  const keys = Object.keys(exp).filter((k) => k !== '$strict');
  if (keys.length === 0 || exp.$strict === true) {
    const extra = Object.keys(actual).filter((k) => !keys.includes(k));
    if (extra.length > 0) {
      ctx.mismatches.push({ path, message: `unexpected keys ${extra.join(', ')} in ${show(actual)}` });
    }
  }
  for (const k of keys) {
    const v = Object.hasOwn(actual, k) ? actual[k] : undefined;
    matchInto(exp[k], v, `${path}.${k}`, ctx);
  }
}

/** Match `actual` against `expected`; captures go into `vars` (only those on matched paths). */
export function match(expected: unknown, actual: unknown, vars: Vars, path = '$'): Mismatch[] {
  const ctx: Ctx = { vars, mismatches: [] };
  matchInto(expected, actual, path, ctx);
  return ctx.mismatches;
}

/** Every `${name}` a template refers to (except built-ins), for static checks of fixtures. */
export function referencedVariables(template: unknown, out = new Set<string>()): Set<string> {
  if (typeof template === 'string') {
    for (const m of template.matchAll(VAR)) {
      const name = m[1]!;
      if (!name.startsWith('repeat:') && name !== 'i') out.add(name);
    }
  } else if (Array.isArray(template)) {
    template.forEach((t) => referencedVariables(t, out));
  } else if (template !== null && typeof template === 'object') {
    Object.values(template).forEach((t) => referencedVariables(t, out));
  }
  return out;
}

/** Names of the string matchers (`$name` or `$name:arg`). */
export const MATCHER_NAMES: readonly string[] = [...Object.keys(SIMPLE), 'capture', 'contains', 'starts_with', 'regex'];

/** Every matcher string (`$…`) in an expectation whose name is not a known matcher. */
export function unknownMatchers(expected: unknown, out: string[] = []): string[] {
  if (typeof expected === 'string') {
    if (expected.startsWith('$') && !expected.startsWith('$$') && !expected.startsWith('${')) {
      const name = /^\$([a-z_0-9]+)/.exec(expected)?.[1];
      if (name === undefined || !MATCHER_NAMES.includes(name)) out.push(expected);
      const inner = /^\$capture:[^:]+:(.+)$/s.exec(expected)?.[1];
      if (inner !== undefined) unknownMatchers(inner, out);
    }
  } else if (Array.isArray(expected)) {
    expected.forEach((e) => unknownMatchers(e, out));
  } else if (expected !== null && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected)) {
      if (k.startsWith('$') && !['$unordered', '$contains', '$oneof', '$json', '$strict'].includes(k)) out.push(k);
      unknownMatchers(v, out);
    }
  }
  return out;
}

/** Every `$capture:name` in an expectation. */
export function capturedVariables(expected: unknown, out = new Set<string>()): Set<string> {
  if (typeof expected === 'string') {
    const m = /^\$capture:([^:]+)/.exec(expected);
    if (m) out.add(m[1]!);
  } else if (Array.isArray(expected)) {
    expected.forEach((e) => capturedVariables(e, out));
  } else if (expected !== null && typeof expected === 'object') {
    Object.values(expected).forEach((e) => capturedVariables(e, out));
  }
  return out;
}
