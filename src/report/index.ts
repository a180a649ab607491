// Reports of a run: read eval metrics and training logs, build FusionBench's table, write md/csv/json/html.
export { buildReport, workflowTitle, LEADING_ROWS, leadingRowIndex, type Report, type ReportRow, type FinetuneSummary, type BuildReportOptions, type Provenance, type RowSpec } from './buildReport.js';
export { readMetrics, readTrainLog, parseMetrics, parseTrainLog, ReportInputError, type MetricsRecord, type TrainLog, type TrainLogEntry } from './reportInputs.js';
export { reportMarkdown } from './reportMarkdown.js';
export { reportCsv, reportCsvLong, parseCsv } from './reportCsv.js';
export { reportJson, reportFromJson } from './reportJson.js';
export { roundHalfAway, fixed, PRECISION } from './rounding.js';
export { bestPerColumn, normalizedAccuracy, gainOverZeroShot, sweeps, ema, BOLD_LEGEND } from './derived.js';
export { stampReport, runProvenance, rowSpecs, type RunFacts } from './stampReport.js';
export { reportHtml } from './reportHtml.js';
export { writeReport, REPORT_FILES } from './writeReport.js';
