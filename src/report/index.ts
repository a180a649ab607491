// Reports of a run: read eval metrics and training logs, build FusionBench's table, write md/csv/json/html.
export { buildReport, LEADING_ROWS, leadingRowIndex, type Report, type ReportRow, type FinetuneSummary, type BuildReportOptions } from './buildReport.js';
export { readMetrics, readTrainLog, parseMetrics, parseTrainLog, ReportInputError, type MetricsRecord, type TrainLog, type TrainLogEntry } from './reportInputs.js';
export { reportMarkdown } from './reportMarkdown.js';
export { reportCsv, parseCsv } from './reportCsv.js';
export { reportJson } from './reportJson.js';
export { reportHtml } from './reportHtml.js';
export { writeReport, REPORT_FILES } from './writeReport.js';
