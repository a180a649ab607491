// The layer chain of src/, stated as data: a file may import its own folder and any folder on a
// lower floor, never one on its own floor or above (type-only imports count: a type on the wrong
// floor is how cycles start). The README's Layout section lists the same folders in the same order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const src = join(root, 'src');

/** Bottom first. Folders on one floor are siblings: they may not import each other. */
const FLOORS: readonly (readonly string[])[] = [
  ['util'],                                    // Json, formatting, suggestions: no fbw imports
  ['diagnostics'],                             // SourceRef, Diagnostic, codes
  ['syntax'],
  ['ml/io', 'ml/backend', 'ml/text', 'ml/data'],
  ['ml/models'],
  ['ml/heads'],
  ['ml/eval'],
  ['ml/finetune', 'ml/merge'],
  ['ml/classifier', 'ml/pretrain'],
  ['registry'],                                // the language's catalogues (models, data sets, methods)
  ['check'],
  ['compile'],                                 // ir.ts: the typed DAG
  ['protocol'],                                // run events, the executor contract, the worker's job
  ['store', 'report'],
  ['stages'],
  ['plan'],
  ['devices', 'executors'],
  ['scheduler'],
  ['ui'],
  ['cli'],
  ['index.ts'],                                // the library entry re-exports every floor
];

const folders = FLOORS.flat();

/** The folder (a FLOORS entry) a path under src/ belongs to: the longest entry that prefixes it. */
function folderOf(file: string): string | undefined {
  const rel = relative(src, file).split(sep).join('/');
  let best: string | undefined;
  for (const f of folders) if ((rel === f || rel.startsWith(`${f}/`)) && (!best || f.length > best.length)) best = f;
  return best;
}

const floorOf = (folder: string): number => FLOORS.findIndex((fl) => fl.includes(folder));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Relative specifiers a file imports: static, type-only, re-exports, side effects and dynamic import(). */
export function importsOf(text: string): string[] {
  // drop comments so an example in a doc comment is not an import
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  for (const m of code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out.filter((s) => s.startsWith('.'));
}

interface Edge { readonly from: string; readonly to: string; readonly spec: string }

/** Every import that points to a sibling or a higher floor, as "file: spec (from-folder -> to-folder)". */
function violations(edges: readonly Edge[]): string[] {
  const bad: string[] = [];
  for (const e of edges) {
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (!a || !b || a === b) continue;
    if (floorOf(b) >= floorOf(a)) bad.push(`${relative(root, e.from)}: '${e.spec}' (${a} -> ${b}, ${floorOf(b) === floorOf(a) ? 'same floor' : 'up'})`);
  }
  return bad;
}

function edgesOf(files: readonly string[]): Edge[] {
  const edges: Edge[] = [];
  for (const f of files) {
    for (const spec of importsOf(readFileSync(f, 'utf8'))) {
      const target = resolve(dirname(f), spec).replace(/\.js$/, '.ts');
      if (!target.startsWith(src)) continue;
      edges.push({ from: f, to: target, spec });
    }
  }
  return edges;
}

test('every file under src/ belongs to a floor (a new folder must be placed in the chain)', () => {
  const orphans = sourceFiles(src).filter((f) => folderOf(f) === undefined).map((f) => relative(root, f));
  assert.equal(orphans, []);
  const missing = folders.filter((f) => { try { statSync(join(src, f)); return false; } catch { return true; } });
  assert.equal(missing, [], 'every floor entry exists');
});

test('no import points up a floor or across to a sibling (type imports included)', () => {
  const edges = edgesOf(sourceFiles(src));
  assert.ok(edges.length > 300, `read the imports (${edges.length})`);
  assert.equal(violations(edges), []);
});

test('the checker flags an upward import, a sibling import and a type-only re-export', () => {
  const f = (p: string) => join(src, p);
  assert.equal(violations([{ from: f('util/json.ts'), to: f('ui/format.ts'), spec: '../ui/format.js' }]).length, 1);
  assert.equal(violations([{ from: f('store/journal.ts'), to: f('report/buildReport.ts'), spec: '../report/buildReport.js' }]).length, 1);
  assert.equal(violations([{ from: f('ml/merge/x.ts'), to: f('ml/models/clip.ts'), spec: '../models/clip.js' }]).length, 0);
  assert.equal(importsOf("export type { X } from '../scheduler/events.js';\nimport type {\n  A,\n  B,\n} from './a.js';\n// import { no } from './comment.js'\nconst m = await import('./lazy.js');"),
    ['../scheduler/events.js', './a.js', './lazy.js']);
});

test("the README's Layout section names every src/ folder, bottom floor first", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const layout = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 1));
  const listed = [...layout.matchAll(/^\s+src\/([\w/]+?)\/?\s{2,}/gm)].map((m) => m[1]!);
  const topLevel = readdirSync(src, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.equal(topLevel.filter((d) => !listed.includes(d)), [], 'every top-level folder of src/ is in the Layout section');
  const order = folders.filter((f) => !f.includes('/') && f !== 'index.ts');
  assert.equal(listed.filter((d) => order.includes(d)), order, 'listed in floor order, bottom first');
});

test.run();
