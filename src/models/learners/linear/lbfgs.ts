/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives
 * such as the ridge and (multinomial) logistic losses. Written by hand because it is ~80 lines
 * and no maintained npm package does it on Float64Arrays; sequential, so deterministic.
 */

export interface LbfgsOptions {
  /** Most iterations. */
  maxIter: number;
  /** Stop once every gradient component is at most this in absolute value. */
  gtol: number;
  /** Stop once an iteration improves the objective by less than this, relatively. */
  ftol: number;
  /** Corrections kept (default 10). */
  memory?: number;
  /** Called after each iteration with the objective value at the new point. */
  onIteration?: (iteration: number, value: number, x: Float64Array) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/** `fg(x, grad)` returns the objective at `x` and writes its gradient into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

const maxAbs = (a: Float64Array): number => {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
};

export function lbfgs(fg: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = options.memory ?? 10;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = fg(x, g);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  let xn = new Float64Array(n);
  let gn = new Float64Array(n);
  if (maxAbs(g) <= options.gtol) return { x, value: fx, iterations: 0, converged: true };

  for (let it = 1; it <= options.maxIter; it++) {
    // Two-loop recursion: d = -H·g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(S[k]!, d);
      const y = Y[k]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! - (alpha[k]! * y[i]!);
    }
    if (S.length > 0) {
      const last = S.length - 1;
      const gamma = dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!);
      for (let i = 0; i < n; i++) d[i] = d[i]! * (gamma);
    } else {
      // First step: a unit-length move along the gradient, which the line search then scales.
      const norm = Math.sqrt(dot(d, d));
      for (let i = 0; i < n; i++) d[i] = d[i]! / (Math.max(1, norm));
    }
    for (let k = 0; k < S.length; k++) {
      const beta = rho[k]! * dot(Y[k]!, d);
      const s = S[k]!;
      for (let i = 0; i < n; i++) d[i] = d[i]! + ((alpha[k]! - beta) * s[i]!);
    }
    let gd = dot(g, d);
    if (!(gd < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      gd = dot(g, d);
    }
    let step = 1;
    let fn = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xn[i] = x[i]! + step * d[i]!;
      fn = fg(xn, gn);
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * step * gd) break;
      step *= 0.5;
    }
    if (!(fn <= fx)) return { x, value: fx, iterations: it - 1, converged: false };

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xn[i]! - x[i]!;
      y[i] = gn[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const improvement = (fx - fn) / Math.max(Math.abs(fx), Math.abs(fn), 1);
    [x, xn] = [xn, x];
    [g, gn] = [gn, g];
    fx = fn;
    options.onIteration?.(it, fx, x);
    if (maxAbs(g) <= options.gtol || improvement <= options.ftol) return { x, value: fx, iterations: it, converged: true };
  }
  return { x, value: fx, iterations: options.maxIter, converged: false };
}
