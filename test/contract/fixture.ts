/**
 * The fixture format and its replay over real HTTP. A fixture is one call sequence of the wire
 * contract (mlflow-wire.md, mlflow3-wire.md): ordered steps, each a request and the response
 * shape the contract fixes. Matching rules are in match.ts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { match, materialize, substitute, type Mismatch, type Vars } from './match.js';

const Method = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

const Expectation = z
  .object({
    /** HTTP status. */
    status: z.number().int().min(100).max(599),
    /** Expected JSON body (match.ts rules). */
    response: z.unknown().optional(),
    /** Expected body text, for non-JSON answers (`/health`, artifact downloads); a matcher string. */
    text: z.string().optional(),
    /** Expected response headers by lower-case name; matcher strings, captures allowed. */
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const StepSchema = z
  .object({
    /** What the step does, shown as the test name. */
    name: z.string().min(1),
    /** Where the contract says so, e.g. `mlflow-wire.md §1.6`. */
    note: z.string().optional(),
    /** Skip the step unless these variables were captured (for optional server features). */
    requires: z.array(z.string()).optional(),
    request: z
      .object({
        method: Method,
        /** Path (or absolute URL) with `${var}` substitution; the query may also be given in `query`. */
        path: z.string().regex(/^(\/|\$\{|https?:)/, 'a path starting with / or a ${variable}'),
        /** Query parameters; a list repeats the key. */
        query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))])).optional(),
        /** JSON body, sent with `Content-Type: application/json` unless `headers` says otherwise. */
        body: z.unknown().optional(),
        /** Raw UTF-8 body, sent with no content type unless `headers` gives one. */
        rawBody: z.string().optional(),
        /** Request headers; `null` removes a default one. */
        headers: z.record(z.string(), z.string().nullable()).optional(),
      })
      .strict()
      .refine((r) => r.body === undefined || r.rawBody === undefined, 'give body or rawBody, not both'),
    status: z.number().int().min(100).max(599).optional(),
    response: z.unknown().optional(),
    text: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Several answers the contract allows (e.g. multipart upload supported or 501); the first that matches wins. */
    anyOf: z.array(Expectation).min(2).optional(),
  })
  .strict()
  .refine((s) => (s.status === undefined) !== (s.anyOf === undefined), 'give status (with response/text/headers) or anyOf');

export const FixtureSchema = z
  .object({
    /** What client action or rule the sequence exercises. */
    description: z.string().min(1),
    /** The sections of the contract it follows. */
    source: z.array(z.string()).min(1),
    steps: z.array(StepSchema).min(1),
  })
  .strict();

export type Step = z.infer<typeof StepSchema>;
export type Fixture = z.infer<typeof FixtureSchema>;
export type Expect = z.infer<typeof Expectation>;

export const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Every fixture file, parsed and validated; a malformed file throws with its name. */
export function loadFixtures(dir = FIXTURE_DIR): Array<{ file: string; fixture: Fixture }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      const parsed = FixtureSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}`);
      }
      return { file, fixture: parsed.data };
    });
}

/** The expectations of a step (one, or the alternatives of `anyOf`). */
export function expectationsOf(step: Step): Expect[] {
  if (step.anyOf) return step.anyOf;
  const e: Expect = { status: step.status! };
  if (step.response !== undefined) e.response = step.response;
  if (step.text !== undefined) e.text = step.text;
  if (step.headers !== undefined) e.headers = step.headers;
  return [e];
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Where a request goes: the server's origin and the raw request target (path and query). */
export interface Target {
  origin: URL;
  /** Sent verbatim in the request line. */
  path: string;
}

/**
 * Send one request with node:http rather than fetch: fetch normalises `..` segments in paths and
 * adds a content type to string bodies, and the contract has rules about both.
 */
export function send(target: Target, method: string, headers: Record<string, string>, body: Buffer | undefined): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.origin.hostname, port: target.origin.port, path: target.path, method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * The target of a step: its substituted path (or absolute URL, e.g. a multipart part URL the
 * server handed out) plus the `query` parameters.
 */
export function stepTarget(base: string, step: Step, vars: Vars): Target {
  const raw = String(substitute(step.request.path, vars));
  let origin: URL;
  let path: string;
  if (/^https?:/.test(raw)) {
    const u = new URL(raw);
    origin = new URL(u.origin);
    path = raw.slice(u.origin.length) || '/';
  } else {
    origin = new URL(base);
    path = raw;
  }
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(step.request.query ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const one of values) params.append(k, String(typeof one === 'string' ? substitute(one, vars) : one));
  }
  const qs = params.toString();
  if (qs !== '') path += `${path.includes('?') ? '&' : '?'}${qs}`;
  return { origin, path };
}

/** The path of a step without its query, after substitution; for matching against endpoints. */
export function requestPathOf(template: string): string {
  return template.split('?', 1)[0]!;
}

/** Send a step's request. */
export async function sendStep(base: string, step: Step, vars: Vars): Promise<HttpResult> {
  const target = stepTarget(base, step, vars);
  const headers: Record<string, string> = {};
  let body: Buffer | undefined;
  if (step.request.body !== undefined) {
    body = Buffer.from(JSON.stringify(materialize(step.request.body, vars)), 'utf8');
    headers['content-type'] = 'application/json';
  } else if (step.request.rawBody !== undefined) {
    body = Buffer.from(String(substitute(step.request.rawBody, vars)), 'utf8');
  }
  for (const [k, v] of Object.entries(step.request.headers ?? {})) {
    if (v === null) delete headers[k.toLowerCase()];
    else headers[k.toLowerCase()] = String(substitute(v, vars));
  }
  if (body !== undefined) headers['content-length'] = String(body.length);
  headers['user-agent'] ??= 'hangar-contract-test';
  return send(target, step.request.method, headers, body);
}

/**
 * Check a response against one expectation. Captures land in `vars` when the status matches,
 * even if another field does not: each captured value passed its own matcher, and later steps
 * should still run so that one wrong field reads as one failure, not a cascade.
 */
export function checkResponse(expect: Expect, res: HttpResult, vars: Vars): Mismatch[] {
  const scratch: Vars = new Map(vars);
  const out: Mismatch[] = [];
  const text = res.body.toString('utf8');
  if (res.status !== expect.status) out.push({ path: 'status', message: `expected ${expect.status}, got ${res.status}: ${text.slice(0, 300)}` });
  if (expect.response !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      out.push({ path: 'body', message: `expected JSON, got ${JSON.stringify(text.slice(0, 300))}` });
    }
    if (json !== undefined) out.push(...match(expect.response, json, scratch));
  }
  if (expect.text !== undefined) out.push(...match(expect.text, text, scratch, 'text'));
  for (const [name, want] of Object.entries(expect.headers ?? {})) {
    const got = res.headers[name.toLowerCase()];
    out.push(...match(want, Array.isArray(got) ? got.join(', ') : got, scratch, `header ${name}`));
  }
  if (res.status === expect.status) for (const [k, v] of scratch) vars.set(k, v);
  return out;
}
