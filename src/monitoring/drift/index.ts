/**
 * The drift report between two files (`hangar monitor drift`): loading (the CSV reader on
 * worker threads, DuckDB otherwise), columns on the same threads, the text/JSON/HTML renderings.
 */
export { runDrift, type DriftRunOptions, type DriftReport, type DriftInput } from './run-drift.js';
export { analyseColumn, chartOf, HISTOGRAM_BINS, MAX_BARS, type ColumnAnalysis, type ColumnChart, type HistogramChart, type BarChart } from './column-task.js';
export { analyseColumns, workersAvailable, defaultThreads, DriftPool } from './pool.js';
export { reportRows, REPORT_HEADERS, datasetLine, reportJson, reportHtml, chartSvg, writeReportHtml, formatStat } from './report.js';
