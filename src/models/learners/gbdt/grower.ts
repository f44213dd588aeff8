import type { BinMapper } from './binning.js';
import type { Executor, SharedState } from './pool.js';
import { HangarError } from '../../../core/errors.js';
import { BLOCK_LEFTS, BLOCK_LEFT_DST, BLOCK_RIGHT_DST, CTRL, JOB_APPLY, JOB_COUNT, JOB_GRAD_HIST, JOB_HIST, JOB_SPLIT_ROWS, type HistPair } from './kernels.js';
import { runLocal } from './pool.js';

/** Categories (bins) with fewer rows than this at a node are not ordered; they go right. Same as scikit-learn. */
const MIN_CAT_SUPPORT = 10;
/** A child needs at least this hessian sum (scikit-learn's min_hessian_to_split). */
const MIN_HESSIAN = 1e-3;
/**
 * Rows per histogram block. A node's histogram is built as min(MAX_BLOCKS, rows / BLOCK_ROWS)
 * partial histograms, one per block of rows, spread over the threads; nodes of one block stay
 * on the calling thread, since waking workers costs more than they would save.
 */
export const BLOCK_ROWS = 16_384;
export const MAX_BLOCKS = 8;

/** A split chosen for a node, in bin space. */
export interface Split {
  /** Index of the feature split on. */
  feature: number;
  /** Loss reduction: GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ). */
  gain: number;
  /** Bins going left (value bins and the missing bin), as a 256-bit set. */
  leftBins: Uint32Array;
  /** Numeric only: value bins ≤ thresholdBin go left. */
  thresholdBin: number;
  /** Whether missing values (and, for categories, unseen ones) go left. */
  missingLeft: boolean;
  /** Left child's sum of gradients. */
  gl: number;
  /** Left child's sum of hessians. */
  hl: number;
  /** Left child's row count. */
  cl: number;
  /** Right child's sum of gradients. */
  gr: number;
  /** Right child's sum of hessians. */
  hr: number;
  /** Right child's row count. */
  cr: number;
}

/** A node of a grown tree, in bin space; `tree-model.ts` turns it into raw thresholds. */
export interface GrownNode {
  /** Edges from the root. */
  depth: number;
  /** Training rows in the node. */
  count: number;
  /** Sum of the rows' gradients. */
  sumG: number;
  /** Sum of the rows' hessians. */
  sumH: number;
  /** Leaf output (already scaled by the learning rate); 0 for internal nodes. */
  value: number;
  /** The node's split, or null for a leaf. */
  split: Split | null;
  /** Index of the left child in the tree's node list (-1 for a leaf). */
  left: number;
  /** Index of the right child (-1 for a leaf). */
  right: number;
  /** First position of the node's rows (valid until the next tree; -1 for the children of a last split, which are not partitioned). */
  start: number;
  /** End (exclusive) of the node's positions. */
  end: number;
  /** The buffer set (0 or 1) that holds the node's rows. */
  buf: number;
}

/** Growth settings, from `GbdtParams`. */
export interface GrowOptions {
  /** Scales every leaf value. */
  learningRate: number;
  /** L2 penalty added to hessian sums. */
  l2: number;
  /** Fewest rows per child. */
  minSamplesLeaf: number;
  /** Smallest gain that makes a split. */
  minGain: number;
  /** Most leaves per tree. */
  maxLeaves: number;
  /** Deepest leaf (Infinity for none). */
  maxDepth: number;
  /** Raw scores per row (`raw[r * outputs + k]`), which each grown tree adds its leaf values to. */
  outputs: number;
}

interface Candidate {
  node: number;
  slot: number;
  split: Split | null;
}

/**
 * Grows trees leaf-wise (best-first): the open leaf with the largest gain is split next, until
 * `maxLeaves` leaves or no leaf can be split. Each split builds the histogram of the smaller
 * child and derives the larger one by subtracting it from the parent's.
 */
export class TreeGrower {
  private readonly slotLen: number;
  private readonly freeSlots: number[] = [];
  /** Whether the root slot holds the next tree's root histogram (see `gradientsWithRoot`). */
  private rootReady = false;

  constructor(
    private readonly s: SharedState,
    private readonly exec: Executor,
    private readonly mappers: BinMapper[],
    private readonly opts: GrowOptions,
    private readonly slots: number,
  ) {
    this.slotLen = s.slotLen;
  }


  /**
   * Grows one tree on the gradients of class block `k` and adds its leaf values to the raw
   * scores of output `k`. The rows start in buffer set `s.cur` and end there, reordered: in the
   * order of the tree's leaves (see `gatherLeaves`).
   */
  grow(k: number): GrownNode[] {
    const s = this.s;
    const o = this.opts;
    this.freeSlots.length = 0;
    for (let i = this.slots - 1; i >= 0; i--) this.freeSlots.push(i);
    const ghOff = k * 2 * s.n;

    const rootSlot = this.freeSlots.pop()!;
    // With the root histogram built by the gradient pass, the leaf values go to the next one too.
    const defer = this.rootReady && k === 0;
    if (!defer) this.buildHist(rootSlot, 0, s.n, s.cur, ghOff);
    this.rootReady = false;
    const pending: Array<{ node: GrownNode; feature: number; vl: number; vr: number; leftBins: Uint32Array | null }> = [];
    const [G, H, C] = this.slotSums(rootSlot);
    const nodes: GrownNode[] = [{ depth: 0, count: C, sumG: G, sumH: H, value: 0, split: null, left: -1, right: -1, start: 0, end: s.n, buf: s.cur }];
    // Position ranges whose rows are final for this tree: last splits (scored in place) and leaves.
    const finals: GrownNode[] = [];
    const open: Candidate[] = [];
    let leaves = 1;
    if (this.splittable(nodes[0]!) && leaves < o.maxLeaves) open.push({ node: 0, slot: rootSlot, split: this.findSplit(rootSlot, nodes[0]!) });

    while (leaves < o.maxLeaves) {
      let best = -1;
      for (let i = 0; i < open.length; i++) {
        const c = open[i]!;
        if (c.split !== null && (best < 0 || c.split.gain > open[best]!.split!.gain)) best = i;
      }
      if (best < 0) break;
      const cand = open[best]!;
      open.splice(best, 1);
      const split = cand.split!;
      const parent = nodes[cand.node]!;
      const li = nodes.length;
      const lastSplit = leaves + 1 >= o.maxLeaves || (!this.canSplit(split.cl, parent.depth + 1) && !this.canSplit(split.cr, parent.depth + 1));
      if (lastSplit) {
        // Neither child will be split again: score the rows where they are instead of moving them.
        const vl = (-o.learningRate * split.gl) / (split.hl + o.l2);
        const vr = (-o.learningRate * split.gr) / (split.hr + o.l2);
        if (defer) pending.push({ node: parent, feature: split.feature, vl, vr, leftBins: split.leftBins });
        else this.applySplit(parent, split, vl, vr, k);
        finals.push(parent);
        nodes.push(
          { depth: parent.depth + 1, count: split.cl, sumG: split.gl, sumH: split.hl, value: vl, split: null, left: -1, right: -1, start: -1, end: -1, buf: -1 },
          { depth: parent.depth + 1, count: split.cr, sumG: split.gr, sumH: split.hr, value: vr, split: null, left: -1, right: -1, start: -1, end: -1, buf: -1 },
        );
        parent.split = split;
        parent.left = li;
        parent.right = li + 1;
        leaves++;
        this.freeSlots.push(cand.slot);
        continue;
      }
      const mid = partitionRows(s, this.exec, parent.start, parent.end, parent.buf, split.feature, split.leftBins, split.cl);
      const buf = 1 - parent.buf;
      const leftNode: GrownNode = { depth: parent.depth + 1, count: split.cl, sumG: split.gl, sumH: split.hl, value: 0, split: null, left: -1, right: -1, start: parent.start, end: mid, buf };
      const rightNode: GrownNode = { depth: parent.depth + 1, count: split.cr, sumG: split.gr, sumH: split.hr, value: 0, split: null, left: -1, right: -1, start: mid, end: parent.end, buf };
      nodes.push(leftNode, rightNode);
      parent.split = split;
      parent.left = li;
      parent.right = li + 1;
      leaves++;

      const canL = this.splittable(leftNode);
      const canR = this.splittable(rightNode);
      if (leaves >= o.maxLeaves || (!canL && !canR)) {
        this.freeSlots.push(cand.slot);
        continue;
      }
      const leftSmaller = mid - parent.start <= parent.end - mid;
      const small = leftSmaller ? leftNode : rightNode;
      const smallSlot = this.freeSlots.pop()!;
      this.buildHist(smallSlot, small.start, small.end, buf, ghOff);
      this.subtract(cand.slot, smallSlot);
      const slotL = leftSmaller ? smallSlot : cand.slot;
      const slotR = leftSmaller ? cand.slot : smallSlot;
      if (canL) open.push({ node: li, slot: slotL, split: this.findSplit(slotL, leftNode) });
      else this.freeSlots.push(slotL);
      if (canR) open.push({ node: li + 1, slot: slotR, split: this.findSplit(slotR, rightNode) });
      else this.freeSlots.push(slotR);
    }

    for (const node of nodes) {
      if (node.split !== null || node.start < 0) continue;
      node.value = (-o.learningRate * node.sumG) / (node.sumH + o.l2);
      if (defer) pending.push({ node, feature: -1, vl: node.value, vr: node.value, leftBins: null });
      else this.applyLeaf(node, node.value, k);
      finals.push(node);
    }
    this.gatherLeaves(finals);
    if (defer) this.deferValues(pending);
    return nodes;
  }

  /**
   * Brings every row back into one buffer set for the next tree: the set that already holds
   * most of them. The other ranges are copied over (plain memory moves); gradients only when
   * later outputs of the same iteration still need them.
   */
  private gatherLeaves(finals: GrownNode[]): void {
    const s = this.s;
    let in1 = 0;
    for (const f of finals) if (f.buf === 1) in1 += f.end - f.start;
    const target = in1 * 2 > s.n ? 1 : 0;
    const k = s.k;
    const words = s.rowBytes >>> 2;
    const block = 2 * s.n;
    for (const f of finals) {
      if (f.buf === target) continue;
      const a = f.start;
      const b = f.end;
      s.words[target]!.set(s.words[f.buf]!.subarray(a * words, b * words), a * words);
      s.raw[target]!.set(s.raw[f.buf]!.subarray(a * k, b * k), a * k);
      s.y[target]!.set(s.y[f.buf]!.subarray(a, b), a);
      if (k > 1) for (let c = 0; c < k; c++) s.ghWords[target]!.set(s.ghWords[f.buf]!.subarray(c * block + 2 * a, c * block + 2 * b), c * block + 2 * a);
    }
    s.cur = target;
  }

  private canSplit(count: number, depth: number): boolean {
    return count >= 2 * this.opts.minSamplesLeaf && depth < this.opts.maxDepth;
  }

  private splittable(node: GrownNode): boolean {
    return this.canSplit(node.count, node.depth);
  }

  /** Adds a last split's leaf values to the raw scores of the node's rows. */
  private applySplit(node: GrownNode, split: Split, vl: number, vr: number, k: number): void {
    const apply = this.s.apply;
    for (let b = 0; b < 256; b++) apply[b] = (split.leftBins[b >>> 5]! >>> (b & 31)) & 1;
    this.applyRows(node, split.feature, vl, vr, k);
  }

  /** Adds `value` to the raw scores of the leaf's rows. */
  private applyLeaf(node: GrownNode, value: number, k: number): void {
    this.applyRows(node, -1, value, value, k);
  }

  private applyRows(node: GrownNode, feature: number, vl: number, vr: number, k: number): void {
    const s = this.s;
    const ctrl = s.ctrl;
    s.apply[256] = vl;
    s.apply[257] = vr;
    const blocks = blockCount(node.end - node.start);
    ctrl[CTRL.TYPE] = JOB_APPLY;
    ctrl[CTRL.ARG] = node.start;
    ctrl[CTRL.ARG + 1] = node.end;
    ctrl[CTRL.ARG + 2] = node.buf;
    ctrl[CTRL.ARG + 3] = blocks;
    ctrl[CTRL.ARG + 4] = feature;
    ctrl[CTRL.ARG + 5] = k;
    if (this.exec.threads > 1 && blocks > 1) this.exec.run();
    else runLocal(s);
  }

  private buildHist(slot: number, start: number, end: number, buf: number, ghOff: number): void {
    const s = this.s;
    const ctrl = s.ctrl;
    const blocks = blockCount(end - start);
    const scratchOff = this.slots * this.slotLen;
    ctrl[CTRL.TYPE] = JOB_HIST;
    ctrl[CTRL.ARG] = start;
    ctrl[CTRL.ARG + 1] = end;
    ctrl[CTRL.ARG + 2] = buf;
    ctrl[CTRL.ARG + 3] = blocks;
    ctrl[CTRL.ARG + 4] = slot * this.slotLen;
    ctrl[CTRL.ARG + 5] = ghOff;
    ctrl[CTRL.ARG + 6] = scratchOff;
    if (this.exec.threads > 1 && blocks > 1) this.exec.run();
    else runLocal(s);
    this.sumPartials(slot, blocks);
  }

  /** Adds the partial histograms of a job's blocks into the slot, in block order, whichever thread built them. */
  private sumPartials(slot: number, blocks: number): void {
    const h = this.s.hist;
    const off = slot * this.slotLen;
    const scratchOff = this.slots * this.slotLen;
    for (let b = 1; b < blocks; b++) {
      const src = scratchOff + (b - 1) * this.slotLen;
      for (let i = 0; i < this.slotLen; i++) h[off + i]! += h[src + i]!;
    }
    this.fillMarginals(slot);
  }

  /**
   * The gradients of every row and, in the same pass, the root histogram of the next tree, which
   * `grow` then does not build (one output only: `canFuseRoot`); the pass first adds the last
   * tree's leaf values, which `grow` left to it. The blocks are those of the
   * root's own histogram job, so the histogram is the same. Returns the blocks; block b's
   * training loss over every `stride`-th position (stride > 0) is in `partSums[b]`.
   */
  gradientsWithRoot(stride: number): number {
    const s = this.s;
    const ctrl = s.ctrl;
    const blocks = blockCount(s.n);
    ctrl[CTRL.TYPE] = JOB_GRAD_HIST;
    ctrl[CTRL.ARG] = 0;
    ctrl[CTRL.ARG + 1] = s.n;
    ctrl[CTRL.ARG + 2] = s.cur;
    ctrl[CTRL.ARG + 3] = blocks;
    ctrl[CTRL.ARG + 4] = stride;
    ctrl[CTRL.ARG + 5] = ROOT_SLOT * this.slotLen;
    ctrl[CTRL.ARG + 6] = this.slots * this.slotLen;
    if (this.exec.threads > 1 && blocks > 1) this.exec.run();
    else runLocal(s);
    this.s.pend[0] = 0;
    this.sumPartials(ROOT_SLOT, blocks);
    this.rootReady = true;
    return blocks;
  }

  /**
   * Leaves the tree's leaf values (and its last splits' two values) for the next gradient pass
   * to add (`pend`, sorted by position), instead of a pass over the raw scores of their own.
   */
  private deferValues(pending: Array<{ node: GrownNode; feature: number; vl: number; vr: number; leftBins: Uint32Array | null }>): void {
    const s = this.s;
    pending.sort((x, y) => x.node.start - y.node.start);
    if (1 + 5 * pending.length > s.pend.length) throw new HangarError('INTERNAL_ERROR', `gbdt: ${pending.length} leaf ranges do not fit the pending list`);
    pending.forEach((p, i) => {
      const o = 1 + 5 * i;
      s.pend[o] = p.node.start;
      s.pend[o + 1] = p.node.end;
      s.pend[o + 2] = p.feature;
      s.pend[o + 3] = p.vl;
      s.pend[o + 4] = p.vr;
      if (p.leftBins !== null) for (let b = 0; b < 256; b++) s.pendDir[i * 256 + b] = (p.leftBins[b >>> 5]! >>> (b & 31)) & 1;
    });
    s.pend[0] = pending.length;
  }

  /** Whether `gradientsWithRoot` can run: one output, so the kernels have the fused pass. */
  get canFuseRoot(): boolean {
    return this.s.kernels.gradHist.length > 0;
  }

  private fillMarginals(slot: number): void {
    fillMarginals(this.s.hist, slot * this.slotLen, this.s.binOffsets, this.s.pairs);
  }

  private subtract(parentSlot: number, childSlot: number): void {
    const h = this.s.hist;
    const p = parentSlot * this.slotLen;
    const c = childSlot * this.slotLen;
    for (let i = 0; i < this.slotLen; i++) h[p + i]! -= h[c + i]!;
    this.fillMarginals(parentSlot);
  }

  private slotSums(slot: number): [number, number, number] {
    const h = this.s.hist;
    const off = slot * this.slotLen;
    const bins = this.s.binOffsets[1]!;
    let g = 0;
    let hs = 0;
    let c = 0;
    for (let b = 0; b < bins; b++) {
      g += h[off + 3 * b]!;
      hs += h[off + 3 * b + 1]!;
      c += h[off + 3 * b + 2]!;
    }
    return [g, hs, c];
  }

  /** The best split of a node over every feature, or null when none meets the constraints. */
  private findSplit(slot: number, node: GrownNode): Split | null {
    const o = this.opts;
    const h = this.s.hist;
    const offs = this.s.binOffsets;
    const G = node.sumG;
    const H = node.sumH;
    const C = node.count;
    const l2 = o.l2;
    const msl = o.minSamplesLeaf;
    const parentTerm = (G * G) / (H + l2);
    let best: Split | null = null;
    let bestGain = o.minGain;

    for (let f = 0; f < this.mappers.length; f++) {
      const m = this.mappers[f]!;
      const base = slot * this.slotLen + offs[f]! * 3;
      const nb = m.nb;
      const mg = h[base + 3 * nb]!;
      const mh = h[base + 3 * nb + 1]!;
      const mc = h[base + 3 * nb + 2]!;
      if (m.kind === 'numeric') {
        // Missing rows right (always), then missing rows left (only when the node has some).
        for (let dir = 0; dir < (mc > 0 ? 2 : 1); dir++) {
          let gl = dir === 1 ? mg : 0;
          let hl = dir === 1 ? mh : 0;
          let cl = dir === 1 ? mc : 0;
          const lastT = dir === 0 && mc > 0 ? nb - 1 : nb - 2;
          for (let t = 0; t <= lastT; t++) {
            gl += h[base + 3 * t]!;
            hl += h[base + 3 * t + 1]!;
            cl += h[base + 3 * t + 2]!;
            const cr = C - cl;
            if (cl < msl) continue;
            if (cr < msl) break;
            const hr = H - hl;
            if (hl < MIN_HESSIAN || hr < MIN_HESSIAN) continue;
            const gr = G - gl;
            const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentTerm;
            if (gain > bestGain) {
              bestGain = gain;
              const missingLeft = mc > 0 ? dir === 1 : cl >= cr;
              best = { feature: f, gain, leftBins: numericBits(t, nb, missingLeft), thresholdBin: t, missingLeft, gl, hl, cl, gr, hr, cr };
            }
          }
        }
      } else {
        const used: number[] = [];
        for (let b = 0; b <= nb; b++) if (h[base + 3 * b + 2]! >= MIN_CAT_SUPPORT) used.push(b);
        if (used.length < 2) continue;
        const ratio = new Float64Array(nb + 1);
        for (const b of used) ratio[b] = h[base + 3 * b]! / (h[base + 3 * b + 1]! + MIN_CAT_SUPPORT);
        used.sort((a, b) => ratio[a]! - ratio[b]! || a - b);
        for (let dir = 0; dir < 2; dir++) {
          let gl = 0;
          let hl = 0;
          let cl = 0;
          for (let i = 0; i < used.length - 1; i++) {
            const b = used[dir === 0 ? i : used.length - 1 - i]!;
            gl += h[base + 3 * b]!;
            hl += h[base + 3 * b + 1]!;
            cl += h[base + 3 * b + 2]!;
            const cr = C - cl;
            if (cl < msl) continue;
            if (cr < msl) break;
            const hr = H - hl;
            if (hl < MIN_HESSIAN || hr < MIN_HESSIAN) continue;
            const gr = G - gl;
            const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentTerm;
            if (gain > bestGain) {
              bestGain = gain;
              const bits = new Uint32Array(8);
              for (let j = 0; j <= i; j++) {
                const bb = used[dir === 0 ? j : used.length - 1 - j]!;
                bits[bb >>> 5]! |= 1 << (bb & 31);
              }
              let missingLeft = ((bits[nb >>> 5]! >>> (nb & 31)) & 1) === 1;
              if (mc === 0) {
                // No missing rows here: unseen ones follow the larger child, as scikit-learn does.
                missingLeft = cl >= cr;
                if (missingLeft) bits[nb >>> 5]! |= 1 << (nb & 31);
              }
              best = { feature: f, gain, leftBins: bits, thresholdBin: -1, missingLeft, gl, hl, cl, gr, hr, cr };
            }
          }
        }
      }
    }
    return best;
  }
}

function numericBits(t: number, nb: number, missingLeft: boolean): Uint32Array {
  const bits = new Uint32Array(8);
  for (let b = 0; b <= t; b++) bits[b >>> 5]! |= 1 << (b & 31);
  if (missingLeft) bits[nb >>> 5]! |= 1 << (nb & 31);
  return bits;
}

/** Writes the own histograms of paired features in the slot at `off`, summed from their joint cells. */
export function fillMarginals(h: Float64Array, off: number, offs: Int32Array, pairs: readonly HistPair[]): void {
  for (const p of pairs) {
    const wa = offs[p.a + 1]! - offs[p.a]!;
    const wb = p.widthB;
    const ha = off + offs[p.a]! * 3;
    const hb = off + offs[p.b]! * 3;
    h.fill(0, ha, ha + 3 * wa);
    h.fill(0, hb, hb + 3 * wb);
    const cells = off + p.offset * 3;
    for (let a = 0; a < wa; a++) {
      for (let b = 0; b < wb; b++) {
        const c = cells + 3 * (a * wb + b);
        h[ha + 3 * a]! += h[c]!;
        h[ha + 3 * a + 1]! += h[c + 1]!;
        h[ha + 3 * a + 2]! += h[c + 2]!;
        h[hb + 3 * b]! += h[c]!;
        h[hb + 3 * b + 1]! += h[c + 1]!;
        h[hb + 3 * b + 2]! += h[c + 2]!;
      }
    }
  }
}

/** The slot a tree's root histogram goes to: the first one `grow` takes from its free list. */
const ROOT_SLOT = 0;

/** Blocks of a job over `len` positions: depends on the node size only, never on the threads. */
function blockCount(len: number): number {
  return Math.max(1, Math.min(MAX_BLOCKS, Math.floor(len / BLOCK_ROWS)));
}

/**
 * Stable partition of positions start..end of buffer set `buf` by feature `feature`: the rows
 * whose bin is in `leftBins` move to the same positions of the other buffer set first, then the
 * others, order kept on both sides; `leftCount` (known from the histogram) is how many go left.
 * Returns the position of the first right row. On one thread the rows move in one pass; on
 * two, the first half fills both sides from their starts and the second half from their ends;
 * on more, a first pass counts each block's left rows so that every block knows where its rows
 * go, then the blocks move their rows, on every thread (see `runShare`).
 *
 * @throws HangarError INTERNAL_ERROR when the rows disagree with `leftCount`.
 */
export function partitionRows(s: SharedState, exec: Executor, start: number, end: number, buf: number, feature: number, leftBins: Uint32Array, leftCount: number): number {
  const ctrl = s.ctrl;
  const goLeft = s.goLeft;
  for (let b = 0; b < 256; b++) goLeft[b] = (leftBins[b >>> 5]! >>> (b & 31)) & 1;
  const len = end - start;
  const mid = start + leftCount;
  const rows = s.blockRows;
  // The stable partition does not depend on how the positions are cut into blocks, so the cut
  // may follow the threads: one block on one thread, two (no count needed) on two.
  let blocks = exec.threads > 1 ? blockCount(len) : 1;
  if (blocks > 1 && exec.threads === 2) blocks = 2;
  ctrl[CTRL.ARG] = start;
  ctrl[CTRL.ARG + 1] = end;
  ctrl[CTRL.ARG + 2] = buf;
  ctrl[CTRL.ARG + 3] = blocks;
  ctrl[CTRL.ARG + 4] = feature;
  ctrl[CTRL.ARG + 5] = blocks === 2 ? 1 : 0;
  rows[BLOCK_LEFT_DST] = start;
  rows[BLOCK_RIGHT_DST] = mid;
  if (blocks === 2) {
    rows[BLOCK_LEFT_DST + 1] = mid - 1;
    rows[BLOCK_RIGHT_DST + 1] = end - 1;
  } else if (blocks > 2) {
    ctrl[CTRL.TYPE] = JOB_COUNT;
    exec.run();
    let l = start;
    let r = mid;
    for (let b = 0; b < blocks; b++) {
      const bs = start + Math.floor((b * len) / blocks);
      const be = start + Math.floor(((b + 1) * len) / blocks);
      const lefts = rows[BLOCK_LEFTS + b]!;
      rows[BLOCK_LEFT_DST + b] = l;
      rows[BLOCK_RIGHT_DST + b] = r;
      l += lefts;
      r += be - bs - lefts;
    }
    if (l !== mid) throw new HangarError('INTERNAL_ERROR', `gbdt partition: ${l - start} rows go left, the histogram counted ${leftCount}`);
  }
  ctrl[CTRL.TYPE] = JOB_SPLIT_ROWS;
  if (blocks > 1) exec.run();
  else runLocal(s);
  let moved = 0;
  for (let b = 0; b < blocks; b++) moved += rows[BLOCK_LEFTS + b]!;
  if (moved !== leftCount) throw new HangarError('INTERNAL_ERROR', `gbdt partition: ${moved} rows went left, the histogram counted ${leftCount}`);
  return mid;
}
