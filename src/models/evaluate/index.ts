/** Evaluation: metrics and SVG plots for a model on labelled data, logged to a run. */
export { evaluate, evaluateModel, tableToColumns, type EvaluateOptions, type EvaluateResult, type EvaluationData, type EvaluationResult } from './evaluate.js';
export { barChart, confusionMatrixChart, lineChart, niceTicks, scatterChart, xmlEscape, type LineChartOptions, type ScatterOptions, type Series } from './plots.js';
