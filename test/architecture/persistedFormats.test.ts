// Every persisted JSON is read through its schema (issue 11): nowhere in src/ is JSON.parse's
// result cast to a type, and JSON.parse itself appears only in the modules that are parsers,
// each for the reason written beside it. A new reader uses util/jsonFormat.ts instead.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const src = join(root, 'src');

/** The modules allowed to call JSON.parse, and why. */
const PARSERS: { readonly [file: string]: string } = {
  'util/jsonFormat.ts': 'the schema-checked reader every format uses',
  'store/manifest.ts': 'manifest.json parser (format tag, ManifestInvalid naming the file)',
  'store/journal.ts': 'journal lines: the error names the line number, then the line goes through its schema',
  'executors/slurm/config.ts': 'the SLURM config parser, whose errors name the file and the key',
  'report/reportInputs.ts': 'metrics.json / train_log.json parsers (ReportInputError naming the file)',
  'cli/commands/replay.ts': 'compares two committed JSON outputs of any shape, reading no field',
  'ml/data/parquet.ts': "a dataset card's double-quoted YAML scalar, not a file",
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/** Each `JSON.parse(...)` call in `text` with what follows its closing parenthesis. */
export function parseCalls(text: string): { readonly call: string; readonly after: string }[] {
  const out: { call: string; after: string }[] = [];
  for (let i = text.indexOf('JSON.parse('); i >= 0; i = text.indexOf('JSON.parse(', i + 1)) {
    let depth = 0;
    let j = i + 'JSON.parse'.length;
    for (; j < text.length; j++) {
      if (text[j] === '(') depth++;
      else if (text[j] === ')' && --depth === 0) break;
    }
    out.push({ call: text.slice(i, j + 1), after: text.slice(j + 1, j + 40) });
  }
  return out;
}

const files = sourceFiles(src).map((f) => ({ rel: relative(src, f).split(sep).join('/'), text: code(readFileSync(f, 'utf8')) }));

test('the scanner finds a cast JSON.parse and a plain one', () => {
  const calls = parseCalls("const a = JSON.parse(readFileSync(p, 'utf8')) as { x: number };\nconst b = JSON.parse(t);");
  assert.is(calls.length, 2);
  assert.match(calls[0]!.after, /^\s*as\b/);
  assert.not.match(calls[1]!.after, /^\s*as\b/);
});

test('no JSON.parse(...) result is cast anywhere in src/', () => {
  const casts = files.flatMap(({ rel, text }) => parseCalls(text).filter((c) => /^\s*as\b/.test(c.after)).map((c) => `${rel}: ${c.call}`));
  assert.equal(casts, [], `read these through a jsonFormat schema instead:\n${casts.join('\n')}`);
});

test('JSON.parse appears only in the parser modules', () => {
  const outside = files.filter(({ rel, text }) => parseCalls(text).length > 0 && !(rel in PARSERS)).map(({ rel }) => rel);
  assert.equal(outside, [], `these read JSON without a schema (use util/jsonFormat.ts):\n${outside.join('\n')}`);
  const stale = Object.keys(PARSERS).filter((rel) => !files.some((f) => f.rel === rel && parseCalls(f.text).length > 0));
  assert.equal(stale, [], 'PARSERS lists files that no longer parse JSON: drop them');
});

test.run();
