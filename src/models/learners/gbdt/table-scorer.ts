import type { GbdtJson, GbdtJsonNode } from './json.js';

/**
 * The trees as lookup tables, for scoring batches without generating code.
 *
 * Rows are first encoded feature by feature into small integer codes: a numeric value becomes
 * the index of the first threshold the model uses on that feature that it does not exceed
 * (so `value ≤ threshold j` is `code ≤ j`), a category its code; missing values and unseen
 * categories get the feature's last code. Every split then becomes one table lookup,
 * `dir[tab[node] + code]` (0 left, 1 right), whatever its kind, and each tree is padded to a
 * complete binary tree of its own depth (a leaf above the bottom level passes every row to
 * its left child), so a row descends exactly `depth` levels with no branch on the way: node i's
 * children are 2i + 1 and 2i + 2.
 *
 * Scoring runs tree by tree over blocks of rows, so one tree's tables stay in the L1 cache
 * while a block's codes stream past. The scoring loop is one small function that V8 optimises
 * after a few thousand rows, the same on every thread; the compiled trees of `compiled.ts` only
 * reach their speed after V8 has optimised each generated function on each thread, which takes
 * seconds for a hundred trees. Sums run in tree order per row, exactly as the compiled trees
 * and the node-array walk add them, so the three give identical scores.
 */
export interface ScoreTables {
  /** Features per row. */
  nf: number;
  /** Outputs per row. */
  k: number;
  /** Trees. */
  trees: number;
  /** Depth of each (padded) tree. */
  depth: Int32Array;
  /** First internal node of each tree in `feat` and `tab`. */
  nodeBase: Int32Array;
  /** First leaf of each tree in `values`. */
  leafBase: Int32Array;
  /** Output each tree adds to. */
  out: Int32Array;
  /** Per internal node: the start of its direction table in `dir` times 256, plus the feature it tests. */
  node: Int32Array;
  /** Directions by code: 0 left, 1 right. */
  dir: Uint8Array;
  /** Leaf values, 2^depth per tree. */
  values: Float64Array;
  /** Per feature: the sorted thresholds used on it (numeric), or null (categorical). */
  thresholds: Array<Float64Array | null>;
  /** Per feature: the code of a missing value (thresholds + 1 for numeric, the category count for categorical). */
  missing: Int32Array;
}

/** Deeper trees are not padded (2^depth leaves each); models with them score with the compiled trees. */
export const MAX_TABLE_DEPTH = 12;
/** Codes are 16-bit. */
const MAX_CODES = 65_535;

function shared<T extends Int32Array | Uint8Array | Float64Array>(Ctor: new (b: SharedArrayBuffer) => T, length: number, bytes: number): T {
  return new Ctor(new SharedArrayBuffer(Math.max(1, length) * bytes));
}

/**
 * Builds the tables of a validated model (see `gbdtFromJSON`), or returns null when a tree is
 * deeper than `MAX_TABLE_DEPTH` or a feature has more codes than 16 bits hold. The arrays live
 * on SharedArrayBuffers so that scoring workers use them without copies.
 */
export function buildScoreTables(json: GbdtJson): ScoreTables | null {
  const nf = json.schema.length;
  const featIndex = new Map(json.schema.map((s, i) => [s.name, i]));
  const catIndex = json.schema.map((s) => (s.kind === 'categorical' ? new Map(s.categories.map((c, i) => [c, i])) : null));

  // Thresholds per numeric feature; null (every value left) is the code past the last one.
  const thrSets = json.schema.map(() => new Set<number>());
  const depths = new Int32Array(json.trees.length);
  for (let t = 0; t < json.trees.length; t++) {
    const nodes = json.trees[t]!.nodes;
    const depthOf = new Int32Array(nodes.length);
    let max = 0;
    nodes.forEach((n, i) => {
      if ('leaf' in n) return;
      if ('threshold' in n && n.threshold !== null) thrSets[featIndex.get(n.feature)!]!.add(n.threshold);
      // Children come after their parent (checked on load), so one forward pass sets every depth.
      depthOf[n.left] = depthOf[n.right] = depthOf[i]! + 1;
      max = Math.max(max, depthOf[i]! + 1);
    });
    if (max > MAX_TABLE_DEPTH) return null;
    depths[t] = max;
  }
  const thresholds = json.schema.map((s, f) => (s.kind === 'numeric' ? Float64Array.from(thrSets[f]!).sort() : null));
  const missing = Int32Array.from(json.schema, (s, f) => (s.kind === 'numeric' ? thresholds[f]!.length + 1 : s.categories.length));
  if (nf > 256 || missing.some((m) => m >= MAX_CODES)) return null;

  let internal = 0;
  let leaves = 0;
  let dirLen = 0;
  let maxCodes = 0;
  for (let f = 0; f < nf; f++) maxCodes = Math.max(maxCodes, missing[f]! + 1);
  json.trees.forEach((tree, t) => {
    internal += 2 ** depths[t]! - 1;
    leaves += 2 ** depths[t]!;
    for (const n of tree.nodes) if (!('leaf' in n)) dirLen += missing[featIndex.get(n.feature)!]! + 1;
  });
  // Pass-through nodes share one all-left table, at the start of `dir`.
  dirLen += maxCodes;
  // A node packs its table's start and its feature in 31 bits.
  if (dirLen >= 2 ** 23) return null;

  const tables: ScoreTables = {
    nf,
    k: json.n_outputs,
    trees: json.trees.length,
    depth: shared(Int32Array, depths.length, 4),
    nodeBase: shared(Int32Array, json.trees.length, 4),
    leafBase: shared(Int32Array, json.trees.length, 4),
    out: shared(Int32Array, json.trees.length, 4),
    node: shared(Int32Array, internal, 4),
    dir: shared(Uint8Array, dirLen, 1),
    values: shared(Float64Array, leaves, 8),
    thresholds,
    missing,
  };
  tables.depth.set(depths);
  let nodeAt = 0;
  let leafAt = 0;
  let dirAt = maxCodes;
  json.trees.forEach((tree, t) => {
    const depth = depths[t]!;
    tables.nodeBase[t] = nodeAt;
    tables.leafBase[t] = leafAt;
    tables.out[t] = tree.output;
    const firstLeaf = 2 ** depth - 1;
    const place = (id: number, heap: number, level: number): void => {
      const node: GbdtJsonNode = tree.nodes[id]!;
      if (level === depth) {
        // Only leaves reach the bottom level: deeper splits would have made the tree deeper.
        tables.values[leafAt + heap - firstLeaf] = (node as { value: number }).value;
        return;
      }
      if ('leaf' in node) {
        tables.node[nodeAt + heap] = 0;
        place(id, 2 * heap + 1, level + 1);
        place(id, 2 * heap + 2, level + 1);
        return;
      }
      const f = featIndex.get(node.feature)!;
      const miss = missing[f]!;
      const dir = tables.dir;
      tables.node[nodeAt + heap] = dirAt * 256 + f;
      if ('categories_left' in node) {
        dir.fill(1, dirAt, dirAt + miss);
        const index = catIndex[f]!;
        for (const c of node.categories_left) {
          const code = index.get(c);
          if (code !== undefined) dir[dirAt + code] = 0;
        }
      } else {
        const thr = thresholds[f]!;
        // Codes 0..j go left, j being the threshold's index (null: every value code).
        const j = node.threshold === null ? thr.length : lowerBound(thr, node.threshold);
        for (let c = 0; c < miss; c++) dir[dirAt + c] = c <= j ? 0 : 1;
      }
      dir[dirAt + miss] = node.missing === 'left' ? 0 : 1;
      dirAt += miss + 1;
      place(node.left, 2 * heap + 1, level + 1);
      place(node.right, 2 * heap + 2, level + 1);
    };
    place(0, 0, 0);
    nodeAt += firstLeaf;
    leafAt += 2 ** depth;
  });
  return tables;
}

/** First index j with v ≤ sorted[j], or sorted.length. */
function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (v <= sorted[m]!) hi = m;
    else lo = m + 1;
  }
  return lo;
}

/**
 * Writes the codes of feature `f` for rows start..end into `codes` (row-major, `nf` per row):
 * `values` numeric (NaN missing) or `catCodes` categorical, already in the model's category
 * space (-1 missing or unseen).
 */
export function encodeFeature(tables: ScoreTables, f: number, values: Float64Array | null, catCodes: Int32Array | null, start: number, end: number, codes: Uint16Array): void {
  const nf = tables.nf;
  const miss = tables.missing[f]!;
  const thr = tables.thresholds[f];
  if (thr != null && values !== null) {
    const m = thr.length;
    for (let r = start; r < end; r++) {
      const v = values[r]!;
      let lo = 0;
      if (v !== v) {
        lo = miss;
      } else {
        let hi = m;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (v <= thr[mid]!) hi = mid;
          else lo = mid + 1;
        }
      }
      codes[r * nf + f] = lo;
    }
  } else if (catCodes !== null) {
    for (let r = start; r < end; r++) {
      const c = catCodes[r]!;
      codes[r * nf + f] = c >= 0 && c < miss ? c : miss;
    }
  }
}

/**
 * Adds every tree's output to `raw` (row-major rows × outputs) for rows start..end of `codes`.
 * Self-contained (no module state), because scoring workers run its source text.
 */
export function scoreTables(tb: ScoreTables, codes: Uint16Array, start: number, end: number, raw: Float64Array): void {
  const nf = tb.nf;
  const k = tb.k;
  const trees = tb.trees;
  const { depth, nodeBase, leafBase, out, node, dir, values } = tb;
  const BLOCK = 512;
  for (let b0 = start; b0 < end; b0 += BLOCK) {
    const b1 = Math.min(end, b0 + BLOCK);
    for (let t = 0; t < trees; t++) {
      const d = depth[t]!;
      // Heap numbering from 1 here (children of i are 2i and 2i + 1), so node i is at nb + i.
      const nb = nodeBase[t]! - 1;
      const lb = leafBase[t]! - 2 ** d;
      const o = out[t]!;
      // Four rows descend together: each level is a chain of dependent loads, and four
      // independent chains keep the core busy while each waits.
      let r = b0;
      for (; r + 8 <= b1; r += 8) {
        const p0 = r * nf;
        const p1 = p0 + nf;
        const p2 = p1 + nf;
        const p3 = p2 + nf;
        const p4 = p3 + nf;
        const p5 = p4 + nf;
        const p6 = p5 + nf;
        const p7 = p6 + nf;
        let n0 = 1;
        let n1 = 1;
        let n2 = 1;
        let n3 = 1;
        let n4 = 1;
        let n5 = 1;
        let n6 = 1;
        let n7 = 1;
        for (let l = 0; l < d; l++) {
          const i0 = node[nb + n0]!;
          const i1 = node[nb + n1]!;
          const i2 = node[nb + n2]!;
          const i3 = node[nb + n3]!;
          const i4 = node[nb + n4]!;
          const i5 = node[nb + n5]!;
          const i6 = node[nb + n6]!;
          const i7 = node[nb + n7]!;
          n0 = 2 * n0 + dir[(i0 >>> 8) + codes[p0 + (i0 & 255)]!]!;
          n1 = 2 * n1 + dir[(i1 >>> 8) + codes[p1 + (i1 & 255)]!]!;
          n2 = 2 * n2 + dir[(i2 >>> 8) + codes[p2 + (i2 & 255)]!]!;
          n3 = 2 * n3 + dir[(i3 >>> 8) + codes[p3 + (i3 & 255)]!]!;
          n4 = 2 * n4 + dir[(i4 >>> 8) + codes[p4 + (i4 & 255)]!]!;
          n5 = 2 * n5 + dir[(i5 >>> 8) + codes[p5 + (i5 & 255)]!]!;
          n6 = 2 * n6 + dir[(i6 >>> 8) + codes[p6 + (i6 & 255)]!]!;
          n7 = 2 * n7 + dir[(i7 >>> 8) + codes[p7 + (i7 & 255)]!]!;
        }
        raw[r * k + o]! += values[lb + n0]!;
        raw[(r + 1) * k + o]! += values[lb + n1]!;
        raw[(r + 2) * k + o]! += values[lb + n2]!;
        raw[(r + 3) * k + o]! += values[lb + n3]!;
        raw[(r + 4) * k + o]! += values[lb + n4]!;
        raw[(r + 5) * k + o]! += values[lb + n5]!;
        raw[(r + 6) * k + o]! += values[lb + n6]!;
        raw[(r + 7) * k + o]! += values[lb + n7]!;
      }
      for (; r < b1; r++) {
        const row = r * nf;
        let nd = 1;
        for (let l = 0; l < d; l++) {
          const i = node[nb + nd]!;
          nd = 2 * nd + dir[(i >>> 8) + codes[row + (i & 255)]!]!;
        }
        raw[r * k + o]! += values[lb + nd]!;
      }
    }
  }
}
