import type { GbdtJson } from './json.js';

/** The trees as JavaScript: the source of each generated function and the categorical bitsets they read. */
export interface CompiledScorer {
  /** Sources of `(x, start, end, raw, bits) => void` functions; each adds its trees to `raw` for rows start..end. */
  sources: string[];
  /** Category bitsets the functions test. */
  bits: Uint32Array;
  /**
   * Adds every tree's output to `raw` for rows start..end of `x` (row-major, one value per
   * feature; categorical codes in the model's category space, -1 when missing).
   */
  run(x: Float64Array, start: number, end: number, raw: Float64Array): void;
}

/** Nodes per generated function: small enough for V8 to optimise each one (it skips huge functions). */
const NODES_PER_CHUNK = 600;

/**
 * Compiles the model's trees into JavaScript: each tree becomes nested `if`s over the row's
 * values held in locals, with thresholds and leaf values as constants, so V8 emits compare and
 * branch instructions and scoring reads no node arrays. This runs several times faster than
 * walking flattened node arrays.
 *
 * Only numbers reach the generated source, each one checked to be finite (or an integer index)
 * by `num`/`int` below, and feature positions come from the schema; a model file cannot inject
 * code. Categorical splits test a bit in `bits`, built here from the category names.
 */
export function compileScorer(json: GbdtJson): CompiledScorer {
  const nf = json.schema.length;
  const k = json.n_outputs;
  const featIndex = new Map(json.schema.map((s, i) => [s.name, i]));
  const catIndex = json.schema.map((s) => (s.kind === 'categorical' ? new Map(s.categories.map((c, i) => [c, i])) : null));
  const words: number[] = [];

  const treeCode = (tree: GbdtJson['trees'][number], out: number): string => {
    const emit = (id: number, indent: string): string => {
      const node = tree.nodes[id]!;
      if ('leaf' in node) return `${indent}s${out} += ${num(node.value)};\n`;
      const f = int(featIndex.get(node.feature) ?? -1, nf);
      const missL = node.missing === 'left';
      let test: string;
      if ('categories_left' in node) {
        const index = catIndex[f]!;
        const size = Math.ceil(Math.max(1, index.size) / 32);
        const base = words.length;
        for (let i = 0; i < size; i++) words.push(0);
        for (const c of node.categories_left) {
          const code = index.get(c);
          if (code !== undefined) words[base + (code >>> 5)]! |= 1 << (code & 31);
        }
        test = `(x${f} >= 0 ? ((bits[${int(base, words.length)} + (x${f} >>> 5)] >>> (x${f} & 31)) & 1) === 1 : ${missL})`;
      } else {
        const t = node.threshold === null ? 'Infinity' : num(node.threshold);
        test = missL ? `(x${f} <= ${t} || x${f} !== x${f})` : `x${f} <= ${t}`;
      }
      return `${indent}if (${test}) {\n${emit(node.left, indent + ' ')}${indent}} else {\n${emit(node.right, indent + ' ')}${indent}}\n`;
    };
    return emit(0, '  ');
  };

  const chunks: string[] = [];
  for (let start = 0, end = 0; start < json.trees.length; start = end) {
    let nodes = 0;
    for (end = start; end < json.trees.length && (end === start || nodes + json.trees[end]!.nodes.length <= NODES_PER_CHUNK); end++) nodes += json.trees[end]!.nodes.length;
    const trees = json.trees.slice(start, end);
    const used = new Set<number>();
    let body = '';
    trees.forEach((tree, i) => {
      body += treeCode(tree, (start + i) % k);
      used.add((start + i) % k);
    });
    const loads = Array.from({ length: nf }, (_, f) => `const x${f} = x[p + ${f}];`).join(' ');
    const sums = [...used].map((o) => `let s${o} = raw[r * ${k} + ${o}];`).join(' ');
    const stores = [...used].map((o) => `raw[r * ${k} + ${o}] = s${o};`).join(' ');
    chunks.push(`(x, start, end, raw, bits) => {\n for (let r = start, p = start * ${nf}; r < end; r++, p += ${nf}) {\n  ${loads}\n  ${sums}\n${body}  ${stores}\n }\n}`);
  }
  const bits = Uint32Array.from(words);
  const fns = chunks.map((src) => (0, eval)(src) as (x: Float64Array, start: number, end: number, raw: Float64Array, bits: Uint32Array) => void);
  return {
    sources: chunks,
    bits,
    run(x, start, end, raw) {
      for (const fn of fns) fn(x, start, end, raw, bits);
    },
  };
}

function num(v: unknown): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`gbdt: non-finite number ${String(v)} in a tree`);
  // String(v) is the shortest text that parses back to the same double; parentheses keep a
  // negative literal from merging with the operator before it.
  return `(${String(v)})`;
}

function int(v: number, bound: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= bound) throw new Error(`gbdt: index ${v} out of range`);
  return v;
}
