// Write a report's four files (md, csv, json, html) into a folder; the one call the
// report stage and tools make.

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Report } from './buildReport.js';
import { reportMarkdown } from './reportMarkdown.js';
import { reportCsv, reportCsvLong } from './reportCsv.js';
import { reportJson } from './reportJson.js';
import { reportHtml } from './reportHtml.js';
import { writeFileAtomic } from '../util/writeFileAtomic.js';

/** File names of a report, in the order they are written. */
export const REPORT_FILES = ['report.md', 'report.csv', 'report_long.csv', 'report.json', 'report.html'] as const;

/** Write report.{md,csv,json,html} and report_long.csv into `dir` (each via a temp file + rename); returns their paths. */
export async function writeReport(dir: string, report: Report): Promise<{ readonly [name in (typeof REPORT_FILES)[number]]: string }> {
  await mkdir(dir, { recursive: true });
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    'report.md': reportMarkdown(report),
    'report.csv': reportCsv(report),
    'report_long.csv': reportCsvLong(report),
    'report.json': reportJson(report),
    'report.html': reportHtml(report),
  };
  const paths = {} as Record<(typeof REPORT_FILES)[number], string>;
  for (const name of REPORT_FILES) {
    const file = path.join(dir, name);
    await writeFileAtomic(file, contents[name]);
    paths[name] = file;
  }
  return paths;
}
