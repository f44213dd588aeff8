/**
 * Special functions the drift tests need, written here because no maintained npm package
 * offers them with scipy's accuracy: the normal distribution, the log-gamma function, the
 * regularised incomplete gamma functions (χ² tail), and the distribution of the two-sided
 * one-sample Kolmogorov–Smirnov statistic D_n (scipy's `kstwo`), which the asymptotic
 * two-sample KS p-value uses. Reference values computed by scipy 1.10 live in
 * `special.fixtures.json` and are checked by `special.test.ts`.
 */

const SQRT2 = Math.SQRT2;
const SQRT_PI = Math.sqrt(Math.PI);
const SQRT_2PI = Math.sqrt(2 * Math.PI);
const PI2 = Math.PI * Math.PI;

/**
 * Complementary error function erfc(x) = 1 − erf(x), to about 1e-15 relative accuracy:
 * a Taylor series of erf for |x| < 2 (no cancellation there, erfc ≥ 0.005) and a Lentz
 * continued fraction for the tail, which keeps relative accuracy down to underflow (x ≈ 27).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2) return 1 - erfSeries(x);
  if (x > 27.3) return 0;
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + …))))), evaluated by
  // modified Lentz with partial numerators a_k = k/2.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 500; k++) {
    const a = k / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (SQRT_PI * f);
}

function erfSeries(x: number): number {
  // erf(x) = 2/√π · Σ (-1)^n x^(2n+1) / (n! (2n+1))
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}

/** Standard normal cumulative distribution Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / SQRT2);
}

/** Standard normal survival function 1 − Φ(z), accurate far into the upper tail. */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / SQRT2);
}

// Lanczos approximation (g = 7, 9 coefficients): ~15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** Natural logarithm of the gamma function, ln Γ(x), for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) return NaN;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a) (scipy's `gammaincc`),
 * for a > 0, x ≥ 0: the lower series when x < a + 1, else the Legendre continued fraction.
 */
export function gammaIncUpper(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (x < a + 1) return 1 - lowerSeries(a, x);
  return upperFraction(a, x);
}

/** Regularised lower incomplete gamma function P(a, x) = 1 − Q(a, x) (scipy's `gammainc`). */
export function gammaIncLower(a: number, x: number): number {
  if (Number.isNaN(a) || Number.isNaN(x) || a <= 0 || x < 0) return NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  if (x < a + 1) return lowerSeries(a, x);
  return 1 - upperFraction(a, x);
}

function lowerSeries(a: number, x: number): number {
  // P(a,x) = x^a e^-x / Γ(a+1) · Σ x^n / ((a+1)…(a+n))
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 100_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return Math.exp(a * Math.log(x) - x - logGamma(a + 1)) * sum;
}

function upperFraction(a: number, x: number): number {
  // Q(a,x) = e^-x x^a / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- 2·(2-a)/(x+5-a- …))) by modified Lentz.
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(a * Math.log(x) - x - logGamma(a)) * h;
}

/** Survival function of the χ² distribution with `df` degrees of freedom: Q(df/2, x/2). */
export function chi2Sf(x: number, df: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return gammaIncUpper(df / 2, x / 2);
}

/**
 * Exact one-sided one-sample Smirnov survival function P(D⁺_n ≥ x) (scipy's `smirnov(n, x)`),
 * by the Birnbaum–Tingey sum x · Σ_{j=0}^{⌊n(1−x)⌋} C(n,j) (1−x−j/n)^(n−j) (x+j/n)^(j−1),
 * each term taken in logarithms so that n in the millions neither overflows nor underflows.
 */
export function smirnovSf(n: number, x: number): number {
  if (Number.isNaN(x) || n <= 0) return NaN;
  if (x <= 0) return 1;
  if (x >= 1) return 0;
  const jmax = Math.floor(n * (1 - x) + 1e-12);
  let logBinom = 0; // ln C(n, j)
  let sum = 0;
  let maxLog = -Infinity;
  // Terms are summed relative to the largest seen so far, so none overflows or underflows
  // before it is compared with the others.
  for (let j = 0; j <= jmax; j++) {
    if (j > 0) logBinom += Math.log((n - j + 1) / j);
    const p = 1 - x - j / n;
    const q = x + j / n;
    if (p <= 0) break;
    const lt = logBinom + (n - j) * Math.log(p) + (j - 1) * Math.log(q);
    if (lt > maxLog) {
      sum = sum * Math.exp(maxLog - lt) + 1;
      maxLog = lt;
    } else {
      sum += Math.exp(lt - maxLog);
    }
  }
  const r = x * sum * Math.exp(maxLog);
  return Math.min(1, Math.max(0, r));
}

/**
 * P(D_n ≤ d) exactly, by the Durbin matrix method as Marsaglia, Tsang and Wang (2003) give it:
 * with d = (k − h)/n, the (k,k) entry of H^n · n!/n^n for a (2k−1)² matrix H, the powers
 * rescaled as they grow. Cost O(k³ log n): used for small n·d only.
 */
export function kolmogorovDurbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  const H = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  v[m - 1] = (1 + (Math.max(2 * h - 1, 0) ** m - 2 * h ** m)) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;

  let P: Float64Array | null = null; // H^bits so far; null stands for the identity
  let pExp = 0;
  let base: Float64Array = H;
  let baseExp = 0;
  let nn = n;
  const E = 2 ** 128;
  while (nn > 0) {
    if (nn % 2 === 1) {
      P = P === null ? base.slice() : matmul(P, base, m);
      pExp += baseExp;
    }
    nn = Math.floor(nn / 2);
    if (nn === 0) break;
    base = matmul(base, base, m);
    baseExp *= 2;
    if (Math.abs(base[(k - 1) * m + (k - 1)]!) > E) {
      for (let i = 0; i < base.length; i++) base[i]! /= E;
      baseExp += 128;
    }
  }
  let p = P === null ? 1 : P[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < 2 ** -128) {
      p *= E;
      pExp -= 128;
    }
  }
  p *= 2 ** pExp;
  return Math.min(1, Math.max(0, p));
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    const ro = i * m;
    for (let l = 0; l < m; l++) {
      const av = a[ro + l]!;
      if (av === 0) continue;
      const bo = l * m;
      for (let j = 0; j < m; j++) out[ro + j]! += av * b[bo + j]!;
    }
  }
  return out;
}

/**
 * The Pelz–Good (1976) asymptotic expansion of P(D_n ≤ x): K0(z) + K1(z)/√n + K2(z)/n +
 * K3(z)/n^(3/2) with z = x√n, each term in its theta-function form suited to small z
 * (Simard and L'Ecuyer 2011, section 3). Accurate to about 1e-5 or better once n > 100.
 */
export function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 0;
  const pi4 = PI2 * PI2;
  const pi6 = pi4 * PI2;
  // Σ over odd m = 2k−1 of c_i(m) q^(m²), for the four terms at once.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = 1; k <= maxk; k++) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qm = Math.exp(qlog * m2);
    if (qm === 0) break;
    s0 += qm;
    s1 += (-z2 + (PI2 / 4) * m2) * qm;
    s2 += (6 * z6 + 2 * z4 + ((2 * z4 - 5 * z2) * PI2 * m2) / 4 + (pi4 * (1 - 2 * z2) * m4) / 16) * qm;
    s3 += (-30 * z6 - 90 * z6 * z2 + (PI2 * (135 * z4 - 96 * z6) * m2) / 4 + (pi4 * (-60 * z2 + 212 * z4) * m4) / 16 + (pi6 * (5 - 30 * z2) * m6) / 64) * qm;
  }
  let K0 = (SQRT_2PI * s0) / z;
  let K1 = (SQRT_2PI * s1) / (6 * z4);
  let K2 = (SQRT_2PI * s2) / (72 * z6 * z);
  let K3 = (SQRT_2PI * s3) / (6480 * z6 * z4);
  // The second sum runs over all integers k ≥ 1 with q' = exp(−π²/(2z²)).
  let e2 = 0;
  let e3 = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = 1; k <= maxk; k++) {
    const k2 = k * k;
    const qk = Math.exp((-PI2 / 2 / z2) * k2);
    if (qk === 0) break;
    e2 += k2 * qk;
    const kpi = Math.PI * k;
    e3 += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * qk;
  }
  K2 += (e2 * PI2 * SQRT_2PI) / (-36 * z2 * z);
  K3 += (e3 * PI2 * SQRT_2PI) / (216 * z6);
  const rn = Math.sqrt(n);
  K1 /= rn;
  K2 /= n;
  K3 /= n * rn;
  K0 += K1 + K2 + K3;
  return K0;
}

/**
 * Survival function P(D_n ≥ x) of the two-sided one-sample Kolmogorov–Smirnov statistic for
 * sample size n (scipy's `kstwo.sf(x, n)`), choosing among exact and asymptotic methods by the
 * regions of Simard and L'Ecuyer (2011) that scipy follows: Ruben–Gambino's closed forms at
 * the ends, twice the one-sided Smirnov tail where it is exact or accurate (x ≥ 0.5, or
 * n·x² ≥ 2.2 for n > 140), the Durbin matrix for small n·x, Pelz–Good otherwise. (For n ≤ 140
 * and 0.754693 < n·x² ≤ 4 scipy uses Pomeranz's recursion, equally exact; we use Durbin's.)
 */
export function kolmogorovSf(n: number, x: number): number {
  if (Number.isNaN(x) || !(n > 0) || !Number.isInteger(n)) return NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    // P(D_n ≤ x) = n!/n^n (2t − 1)^n
    let logp = n * Math.log(2 * t - 1) - n * Math.log(n);
    logp += logGamma(n + 1);
    return clip(1 - Math.exp(logp));
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (n <= 140) {
    if (nx2 <= 4) return clip(1 - kolmogorovDurbinCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? kolmogorovDurbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - cdf);
}

/** The limiting Kolmogorov distribution's survival function P(K > x) = 2 Σ (−1)^(k−1) e^(−2k²x²) (scipy's `kolmogorov`). */
export function kolmogorovLimitSf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  if (x < 0.3) {
    // The alternating series converges slowly here; use the theta form of the CDF instead.
    let s = 0;
    for (let k = 1; k < 50; k++) s += Math.exp((-((2 * k - 1) ** 2) * PI2) / (8 * x * x));
    return clip(1 - (SQRT_2PI / x) * s);
  }
  let s = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    s += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-18) break;
  }
  return clip(2 * s);
}

function clip(p: number): number {
  return Math.min(1, Math.max(0, p));
}
