import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { HangarError } from '../../core/errors.js';
import {
  captureEnvironment,
  column,
  enforceSignature,
  formatUtc,
  inferSignatureFromFrame,
  inferSignatureFromRows,
  mlmodelToObject,
  parseMLmodel,
  readInputExample,
  readModelPackage,
  saveModelPackage,
  signatureFromWire,
  signatureToWire,
  stringifyMLmodel,
  tableToFrame,
  toInputTable,
} from './index.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'hangar-pkg-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** The MLmodel `mlflow.sklearn.log_model` writes (semantics.md §d), plus a key Hangar does not know. */
const MLFLOW_SKLEARN = `artifact_path: model
databricks_runtime: 14.3.x-cpu-ml-scala2.12
flavors:
  python_function: {env: {conda: conda.yaml, virtualenv: python_env.yaml}, loader_module: mlflow.sklearn,
                    model_path: model.pkl, predict_fn: predict, python_version: 3.11.2}
  sklearn: {code: null, pickled_model: model.pkl, serialization_format: cloudpickle, sklearn_version: 1.2.1}
mlflow_version: 2.12.2
model_size_bytes: 884
model_uuid: 64ac70de3877489fad0df886c1295a7f
run_id: 4c9ea22a81744d14914fc3fa3fa2c912
saved_input_example_info: {artifact_path: input_example.json, format: tf-serving, type: ndarray}
signature:
  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]'
  params: null
utc_time_created: '2026-11-26 05:07:47.081585'
`;

describe('MLmodel', () => {
  it('reads the MLmodel MLflow writes for sklearn, and writes it back unchanged in substance', () => {
    const m = parseMLmodel(MLFLOW_SKLEARN);
    expect(Object.keys(m.flavors)).toEqual(['python_function', 'sklearn']);
    expect(m.flavors.sklearn).toEqual({ code: null, pickled_model: 'model.pkl', serialization_format: 'cloudpickle', sklearn_version: '1.2.1' });
    expect(m.runId).toBe('4c9ea22a81744d14914fc3fa3fa2c912');
    expect(m.modelUuid).toBe('64ac70de3877489fad0df886c1295a7f');
    expect(m.utcTimeCreated).toBe('2026-11-26 05:07:47.081585');
    expect(m.mlflowVersion).toBe('2.12.2');
    expect(m.modelSizeBytes).toBe(884);
    expect(m.savedInputExampleInfo).toEqual({ artifactPath: 'input_example.json', type: 'ndarray', format: 'tf-serving' });
    expect(m.signature?.inputs).toEqual([{ kind: 'tensor', name: undefined, dtype: 'float64', shape: [-1, 4] }]);
    expect(m.signature?.outputs).toEqual([{ kind: 'tensor', name: undefined, dtype: 'int64', shape: [-1] }]);
    expect(m.signature?.params).toBeUndefined();
    expect(m.extra).toEqual({ databricks_runtime: '14.3.x-cpu-ml-scala2.12' });

    const again = parseYaml(stringifyMLmodel(m)) as Record<string, unknown>;
    const original = parseYaml(MLFLOW_SKLEARN) as Record<string, unknown>;
    // The signature strings are re-serialised; compare them as JSON.
    const sig = (o: Record<string, unknown>) => {
      const s = o.signature as Record<string, string | null>;
      return { inputs: JSON.parse(s.inputs!), outputs: JSON.parse(s.outputs!), params: s.params };
    };
    expect(sig(again)).toEqual(sig(original));
    expect({ ...again, signature: null }).toEqual({ ...original, signature: null });
  });

  it('writes keys sorted as PyYAML does, and the signature as JSON strings of column specs', () => {
    const text = stringifyMLmodel({
      flavors: { 'hangar.tabular': { model: 'model.json' } },
      runId: 'r1',
      artifactPath: 'model',
      utcTimeCreated: formatUtc(new Date(Date.UTC(2026, 10, 26, 5, 7, 47, 81))),
      signature: { inputs: [column('x', 'double'), column('city', 'string', false)] },
      extra: {},
    });
    const keys = [...text.matchAll(/^([a-z_]+):/gm)].map((m) => m[1]);
    expect(keys).toEqual(['artifact_path', 'flavors', 'run_id', 'signature', 'utc_time_created']);
    const o = parseYaml(text) as { signature: { inputs: string; outputs: null }; utc_time_created: string };
    expect(JSON.parse(o.signature.inputs)).toEqual([
      { type: 'double', name: 'x', required: true },
      { type: 'string', name: 'city', required: false },
    ]);
    expect(o.signature.outputs).toBeNull();
    expect(o.utc_time_created).toBe('2026-11-26 05:07:47.081000');
  });

  it('quotes what PyYAML would read as a timestamp or boolean (utc_time_created, class labels)', () => {
    const text = stringifyMLmodel({ flavors: { 'hangar.tabular': { class_labels: ['no', 'yes'] } }, utcTimeCreated: '2026-11-26 08:08:02.648000', extra: {} });
    expect(text).toContain(`utc_time_created: "2026-11-26 08:08:02.648000"`);
    expect(text).toMatch(/- "no"\n\s+- "yes"/);
  });

  it('rejects an MLmodel without flavors, and an unknown column type, naming the field', () => {
    expect(() => parseMLmodel('run_id: x\n')).toThrow(/flavors/);
    try {
      signatureFromWire({ inputs: '[{"type": "decimal", "name": "x"}]' });
      expect.unreachable();
    } catch (e) {
      expect((e as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((e as HangarError).field).toBe('signature.inputs[0]');
    }
  });

  it('keeps column-spec fields it does not interpret (array items) through a round trip', () => {
    const wire = { inputs: '[{"type": "array", "items": {"type": "double"}, "name": "emb", "required": true}]', outputs: null, params: null };
    const sig = signatureFromWire(wire)!;
    expect(JSON.parse(signatureToWire(sig).inputs!)).toEqual([{ type: 'array', items: { type: 'double' }, name: 'emb', required: true }]);
  });
});

describe('model package on disk', () => {
  it('saves and reads back MLmodel, model files, input example and environment', async () => {
    const dir = join(await tempDir(), 'model');
    const sig = { inputs: [column('distance', 'double'), column('origin', 'string')] };
    const written = await saveModelPackage(dir, {
      flavors: { 'hangar.tabular': { model: 'model.json', kind: 'tiny' } },
      files: { 'model.json': '{"kind":"tiny"}\n' },
      signature: sig,
      inputExample: [
        { distance: 300, origin: 'SFO' },
        { distance: 1200.5, origin: 'JFK' },
      ],
      runId: 'abc',
      artifactPath: 'model',
    });
    expect(written.modelUuid).toMatch(/^[0-9a-f]{32}$/);
    expect(written.utcTimeCreated).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(written.modelSizeBytes).toBeGreaterThan(0);
    const pkg = await readModelPackage(dir);
    expect(pkg.mlmodel).toEqual(written);
    expect(pkg.mlmodel.signature).toEqual(sig);
    expect(pkg.environment?.node).toBe(process.version);
    expect(pkg.mlmodel.hangarEnv).toMatchObject({ file: 'hangar_env.json', node_version: process.version });
    expect(JSON.parse(await readFile(join(dir, 'input_example.json'), 'utf8'))).toEqual({
      columns: ['distance', 'origin'],
      data: [
        [300, 'SFO'],
        [1200.5, 'JFK'],
      ],
    });
    expect(await readInputExample(pkg)).toEqual([
      { distance: 300, origin: 'SFO' },
      { distance: 1200.5, origin: 'JFK' },
    ]);
    // The JSON form for runs/log-model carries the signature as strings, as MLflow's to_dict does.
    const obj = mlmodelToObject(pkg.mlmodel);
    expect(typeof (obj.signature as { inputs: unknown }).inputs).toBe('string');
    expect(obj.saved_input_example_info).toEqual({ artifact_path: 'input_example.json', type: 'dataframe', pandas_orient: 'split' });
  });

  it('is RESOURCE_DOES_NOT_EXIST for a directory without MLmodel', async () => {
    await expect(readModelPackage(await tempDir())).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('captures the lockfile digest and the git commit of the project', async () => {
    const project = await tempDir();
    const lock = `${JSON.stringify({
      lockfileVersion: 3,
      packages: { '': { dependencies: { left: '^1.0.0' }, devDependencies: { vitest: '^4' } }, 'node_modules/left': { version: '1.2.3' }, 'node_modules/vitest': { version: '4.1.0' }, 'node_modules/deep': { version: '9.9.9' } },
    })}\n`;
    await writeFile(join(project, 'package-lock.json'), lock);
    const noGit = await captureEnvironment(project);
    expect(noGit.lockfileSha256).toBe(createHash('sha256').update(lock).digest('hex'));
    expect(noGit.lockfile).toBe('package-lock.json');
    // Direct dependencies only, at the versions the lockfile pins.
    expect(noGit.projectDependencies).toEqual({ left: '1.2.3', vitest: '4.1.0' });
    expect(noGit.platform).toBe(`${process.platform}-${process.arch}`);
    expect(noGit.dependencies.yaml).toMatch(/^\d+\.\d+\.\d+/);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: project, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '--allow-empty', '-m', 'x');
    expect((await captureEnvironment(project)).gitCommit).toBe(git('rev-parse', 'HEAD'));
  });
});

describe('signatures', () => {
  it('infers column types from a feature frame and from rows', () => {
    const frame = {
      rows: 2,
      features: [
        { name: 'distance', kind: 'numeric' as const, values: Float64Array.of(1, 2) },
        { name: 'origin', kind: 'categorical' as const, codes: Int32Array.of(0, 1), categories: ['A', 'B'] },
      ],
    };
    expect(inferSignatureFromFrame(frame).inputs).toEqual([column('distance', 'double'), column('origin', 'string')]);
    const rows = [
      { n: 1, x: 1, s: 'a', b: true, d: new Date(0) },
      { n: 2, x: 2.5, s: null, b: false, d: new Date(1) },
    ];
    expect(inferSignatureFromRows(rows).inputs).toEqual([
      column('n', 'long'),
      column('x', 'double'),
      column('s', 'string', false),
      column('b', 'boolean'),
      column('d', 'datetime'),
    ]);
    expect(() => inferSignatureFromRows([{ a: 1 }, { a: 'x' }])).toThrow(/'a' mixes long and string/);
  });

  const spec = [column('distance', 'double'), column('origin', 'string'), column('hops', 'long', false)];

  it('drops extra columns and keeps signature order', () => {
    const t = enforceSignature(toInputTable([{ origin: 'SFO', extra: 1, distance: 3 }]), spec);
    expect([...t.columns.keys()]).toEqual(['distance', 'origin']);
  });

  it('names the missing required column', () => {
    try {
      enforceSignature(toInputTable({ distance: [1] }), spec);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HangarError);
      expect((e as HangarError).code).toBe('INVALID_PARAMETER_VALUE');
      expect((e as HangarError).field).toBe('origin');
      expect((e as HangarError).message).toContain('["origin"]');
    }
  });

  it('names the column and row of a value of the wrong type', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ distance: 'far', origin: 'SFO' }, 'distance', /column 'distance': expected double, got string "far" at row 1/],
      [{ distance: 1, origin: 7 }, 'origin', /column 'origin': expected string, got long 7 at row 1/],
      [{ distance: 1, origin: 'A', hops: 1.5 }, 'hops', /column 'hops': expected long, got double 1.5 at row 1/],
      [{ distance: true, origin: 'A' }, 'distance', /expected double, got boolean true/],
    ];
    for (const [bad, field, message] of cases) {
      try {
        enforceSignature(toInputTable([{ distance: 2, origin: 'B' }, bad]), spec);
        expect.unreachable();
      } catch (e) {
        expect((e as HangarError).field).toBe(field);
        expect((e as HangarError).message).toMatch(message);
      }
    }
    // Integers into a double column and missing values anywhere are fine, as in MLflow.
    expect(() => enforceSignature(toInputTable([{ distance: 3, origin: null, hops: undefined }]), spec)).not.toThrow();
  });

  it('rejects ragged columns naming the column', () => {
    expect(() => toInputTable({ a: [1, 2], b: [1] })).toThrow(/Column 'b' has 1 values/);
  });

  it('builds the frame a model schema asks for: category codes, unseen as missing, date parts derived', () => {
    const schema = [
      { name: 'distance', kind: 'numeric' as const },
      { name: 'origin', kind: 'categorical' as const, categories: ['JFK', 'SFO'] },
      { name: 'date_month', kind: 'numeric' as const },
      { name: 'date_weekday', kind: 'numeric' as const },
      { name: 'date_hour', kind: 'numeric' as const },
      { name: 'absent', kind: 'numeric' as const },
    ];
    const frame = tableToFrame(
      toInputTable([
        { distance: 100, origin: 'SFO', date: '2001-06-15 13:45:00' },
        { distance: null, origin: 'LAX', date: new Date(Date.UTC(2001, 0, 1, 7)) },
      ]),
      schema,
    );
    const f = Object.fromEntries(frame.features.map((x) => [x.name, x.kind === 'numeric' ? Array.from(x.values) : Array.from(x.codes)]));
    expect(f.distance).toEqual([100, NaN]);
    expect(f.origin).toEqual([1, -1]);
    // 2001-06-15 was a Friday (5); 2001-01-01 a Monday (1).
    expect(f.date_month).toEqual([6, 1]);
    expect(f.date_weekday).toEqual([5, 1]);
    expect(f.date_hour).toEqual([13, 7]);
    expect(f.absent).toEqual([NaN, NaN]);
  });
});
