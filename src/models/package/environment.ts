/**
 * The execution environment saved with every model (`hangar_env.json`), Node's counterpart of
 * MLflow's `python_env.yaml` + `requirements.txt`: what was tested is what runs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The file name of the environment inside a package. */
export const ENV_FILE = 'hangar_env.json';

export interface ExecutionEnvironment {
  /** `process.version`, e.g. `v20.20.2`. */
  node: string;
  /** `<platform>-<arch>`, e.g. `linux-x64`. */
  platform: string;
  /** The Hangar version that wrote the model. */
  hangar: string;
  /** sha256 (hex) of the project's `package-lock.json`, when there is one. */
  lockfileSha256: string | null;
  /** Where that lockfile was found, relative to the project directory. */
  lockfile: string | null;
  /** HEAD of the git repository the model was saved from, when in one. */
  gitCommit: string | null;
  /** Versions of Hangar's runtime dependencies as installed (name → version). */
  dependencies: Record<string, string>;
  /** The project's direct dependencies as its lockfile pins them (name → version); empty without a lockfile. */
  projectDependencies: Record<string, string>;
}

// src/models/package and dist/models/package are both three levels below the package root.
const HANGAR_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The nearest `name` walking up from `from`, or null. */
function findUp(from: string, name: string): string | null {
  let dir = resolve(from);
  for (;;) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function gitHead(cwd: string): Promise<string | null> {
  return new Promise((res) => {
    execFile('git', ['rev-parse', 'HEAD'], { cwd, timeout: 5_000 }, (err, stdout) => {
      const sha = stdout?.trim() ?? '';
      res(err === null && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null);
    });
  });
}

/** The installed version of a dependency, looked up in node_modules from Hangar's root upwards. */
async function installedVersion(name: string): Promise<string | null> {
  let dir = HANGAR_ROOT;
  for (;;) {
    const pkg = await readJson(join(dir, 'node_modules', name, 'package.json'));
    if (pkg !== null && typeof pkg.version === 'string') return pkg.version;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

let cachedHangar: { version: string; deps: string[] } | undefined;

async function hangarPackage(): Promise<{ version: string; deps: string[] }> {
  if (cachedHangar === undefined) {
    const pkg = (await readJson(join(HANGAR_ROOT, 'package.json'))) ?? {};
    cachedHangar = {
      version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
      deps: Object.keys((pkg.dependencies as Record<string, string> | undefined) ?? {}).sort(),
    };
  }
  return cachedHangar;
}

/** The Hangar version that is running. */
export async function hangarVersion(): Promise<string> {
  return (await hangarPackage()).version;
}

/** The file form (snake_case, as MLflow's own files are). */
export function environmentToJSON(env: ExecutionEnvironment): Record<string, unknown> {
  return {
    node_version: env.node,
    platform: env.platform,
    hangar_version: env.hangar,
    lockfile: env.lockfile,
    lockfile_digest: env.lockfileSha256 === null ? null : `sha256:${env.lockfileSha256}`,
    git_commit: env.gitCommit,
    dependencies: env.dependencies,
    project_dependencies: env.projectDependencies,
  };
}

export function environmentFromJSON(o: Record<string, unknown>): ExecutionEnvironment {
  const s = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  const digest = s(o.lockfile_digest);
  return {
    node: s(o.node_version) ?? '',
    platform: s(o.platform) ?? '',
    hangar: s(o.hangar_version) ?? '',
    lockfile: s(o.lockfile),
    lockfileSha256: digest === null ? null : digest.replace(/^sha256:/, ''),
    gitCommit: s(o.git_commit),
    dependencies: (o.dependencies as Record<string, string> | undefined) ?? {},
    projectDependencies: (o.project_dependencies as Record<string, string> | undefined) ?? {},
  };
}

/**
 * The summary MLmodel carries under `hangar_env`, so that compliance checks read the facts
 * from the MLmodel alone (as from a run's `mlflow.log-model.history` tag); the full record,
 * dependency versions included, is the file it names.
 */
export function environmentSummary(env: ExecutionEnvironment): Record<string, unknown> {
  const { dependencies: _d, project_dependencies: _p, lockfile: _l, ...rest } = environmentToJSON(env);
  return { file: ENV_FILE, ...rest };
}

/**
 * Capture the environment of the current process. `projectDir` (default: the working
 * directory) is where the lockfile and git commit are looked up.
 */
export async function captureEnvironment(projectDir: string = process.cwd()): Promise<ExecutionEnvironment> {
  const pkg = await hangarPackage();
  const lockfile = findUp(projectDir, 'package-lock.json');
  const lockBytes = lockfile === null ? null : await readFile(lockfile);
  const lockfileSha256 = lockBytes === null ? null : createHash('sha256').update(lockBytes).digest('hex');
  const dependencies: Record<string, string> = {};
  for (const d of pkg.deps) {
    const v = await installedVersion(d);
    if (v !== null) dependencies[d] = v;
  }
  return {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    hangar: pkg.version,
    lockfileSha256,
    lockfile: lockfile === null ? null : relative(projectDir, lockfile).replaceAll('\\', '/'),
    gitCommit: await gitHead(projectDir),
    dependencies,
    projectDependencies: lockBytes === null ? {} : directDependencies(lockBytes),
  };
}

/** Direct dependencies and their pinned versions from an npm lockfile (v2/v3 `packages` map). */
function directDependencies(lockBytes: Buffer): Record<string, string> {
  let lock: { packages?: Record<string, { version?: string; dependencies?: Record<string, string>; devDependencies?: Record<string, string> }> };
  try {
    lock = JSON.parse(lockBytes.toString('utf8')) as typeof lock;
  } catch {
    return {};
  }
  const root = lock.packages?.[''];
  const out: Record<string, string> = {};
  for (const name of Object.keys({ ...root?.dependencies, ...root?.devDependencies }).sort()) {
    const v = lock.packages?.[`node_modules/${name}`]?.version;
    if (v !== undefined) out[name] = v;
  }
  return out;
}
