import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryMetrics, multiclassMetrics, precisionRecallCurve, regressionMetrics, rocAuc, rocCurve, trapezoid, withMlflowNames } from './metrics.js';

// Reference values from scikit-learn 1.2.1 (Debian's python3-sklearn) on the same arrays:
//   roc_auc_score, auc(*precision_recall_curve), log_loss, precision/recall/f1/accuracy_score,
//   confusion_matrix; f1_score(average='macro'|'weighted'); the regression metrics.
describe('metrics against scikit-learn', () => {
  const y = Float64Array.of(0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1);
  const p = Float64Array.of(0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.7, 0.9, 0.35, 0.2, 0.5, 0.5);

  it('binary, with tied scores across classes', () => {
    const m = binaryMetrics(y, p);
    expect(m.auc).toBeCloseTo(0.6527777777777778, 14);
    expect(m.pr_auc).toBeCloseTo(0.7138888888888889, 14);
    expect(m.log_loss).toBeCloseTo(0.6070717939827825, 14);
    expect(m.accuracy).toBeCloseTo(0.5833333333333334, 14);
    expect(m.precision).toBeCloseTo(2 / 3, 14);
    expect(m.recall).toBeCloseTo(1 / 3, 14);
    expect(m.f1).toBeCloseTo(0.4444444444444444, 14);
    // p = 0.5 is not above the threshold (class 0), as sklearn's predict decides.
    expect([m.true_negatives, m.false_positives, m.false_negatives, m.true_positives]).toEqual([5, 1, 4, 2]);
    expect(m.example_count).toBe(12);
    // MLflow's names carry the same values.
    expect(m.roc_auc).toBe(m.auc);
    expect(m.precision_recall_auc).toBe(m.pr_auc);
    expect(m.f1_score).toBe(m.f1);
    expect(m.accuracy_score).toBe(m.accuracy);
  });

  it('AUC by ranks equals the area under the ROC curve, and is 0.5 when every score ties', () => {
    const roc = rocCurve(y, p);
    expect(trapezoid(roc.fpr, roc.tpr)).toBeCloseTo(rocAuc(y, p), 14);
    expect(rocAuc(Float64Array.of(0, 1, 0, 1), Float64Array.of(0.3, 0.3, 0.3, 0.3))).toBe(0.5);
    expect(rocAuc(Float64Array.of(0, 0, 1), Float64Array.of(0.1, 0.2, 0.9))).toBe(1);
    // Hand count for y = [1, 0, 1, 0], p = [0.9, 0.9, 0.2, 0.1]: pairs (pos, neg) = (0.9,0.9) ½,
    // (0.9,0.1) 1, (0.2,0.9) 0, (0.2,0.1) 1 → 2.5 / 4.
    expect(rocAuc(Float64Array.of(1, 0, 1, 0), Float64Array.of(0.9, 0.9, 0.2, 0.1))).toBe(0.625);
    const pr = precisionRecallCurve(Float64Array.of(1, 0, 1, 0), Float64Array.of(0.9, 0.9, 0.2, 0.1));
    // sklearn 1.2.1: thresholds 0.1 (P 1/2, R 1), 0.2 (P 2/3, R 1), 0.9 (P 1/2, R 1/2), then (R 0, P 1).
    expect(pr.recall).toEqual([1, 1, 0.5, 0]);
    expect(pr.precision).toEqual([0.5, 2 / 3, 0.5, 1]);
  });

  it('AUC equals the pairwise count and the area under the ROC curve on random tied data', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 6 })), { minLength: 2, maxLength: 60 }), (pairs) => {
        const y = Float64Array.from(pairs, ([c]) => (c ? 1 : 0));
        // Few distinct scores, so ties across classes are common.
        const p = Float64Array.from(pairs, ([, s]) => s / 6);
        let wins = 0;
        let total = 0;
        for (let i = 0; i < y.length; i++) {
          for (let j = 0; j < y.length; j++) {
            if (y[i] !== 1 || y[j] !== 0) continue;
            total++;
            wins += p[i]! > p[j]! ? 1 : p[i] === p[j] ? 0.5 : 0;
          }
        }
        const auc = rocAuc(y, p);
        if (total === 0) return Number.isNaN(auc);
        const roc = rocCurve(y, p);
        return Math.abs(auc - wins / total) < 1e-12 && Math.abs(trapezoid(roc.fpr, roc.tpr) - auc) < 1e-12;
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('refuses NaN scores, naming the row', () => {
    expect(() => rocAuc(Float64Array.of(0, 1), Float64Array.of(0.1, NaN))).toThrow(/row 1 as NaN/);
  });

  it('leaves AUC out when only one class occurs', () => {
    const m = binaryMetrics(Float64Array.of(1, 1), Float64Array.of(0.2, 0.8));
    expect(m.auc).toBeUndefined();
    expect(m.recall).toBe(0.5);
  });

  it('multiclass', () => {
    const ym = Float64Array.of(0, 1, 2, 2, 1, 0, 2, 1);
    const P = Float64Array.of(0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.5, 0.1, 0.4, 0.3, 0.4, 0.3, 0.6, 0.3, 0.1, 0.1, 0.1, 0.8, 0.3, 0.3, 0.4);
    const m = multiclassMetrics(ym, P, 3);
    expect(m.accuracy).toBe(0.75);
    expect(m.macro_f1).toBeCloseTo(0.7555555555555555, 14);
    expect(m.weighted_f1).toBeCloseTo(0.75, 14);
    expect(m.weighted_precision).toBeCloseTo(0.7916666666666666, 14);
    expect(m.weighted_recall).toBeCloseTo(0.75, 14);
    expect(m.log_loss).toBeCloseTo(0.6076459452716724, 14);
    // MLflow's multiclass f1_score is the weighted average.
    expect(m.f1_score).toBe(m.weighted_f1);
  });

  it('regression, MAPE with a zero target as sklearn (epsilon floor)', () => {
    const m = regressionMetrics(Float64Array.of(3, -0.5, 2, 7, 0), Float64Array.of(2.5, 0, 2, 8, 0.1));
    expect(m.rmse).toBeCloseTo(0.5495452665613635, 14);
    expect(m.mae).toBeCloseTo(0.42, 14);
    expect(m.r2).toBeCloseTo(0.9578212290502793, 14);
    expect(m.mape! / 90071992547410.19).toBeCloseTo(1, 12);
    expect(m.max_error).toBe(1);
    expect(m.root_mean_squared_error).toBe(m.rmse);
    expect(m.mean_on_target).toBeCloseTo(2.3, 14);
  });

  it('does not add an alias over a metric that exists', () => {
    expect(withMlflowNames({ f1: 1, f1_score: 2 })).toEqual({ f1: 1, f1_score: 2 });
  });
});
