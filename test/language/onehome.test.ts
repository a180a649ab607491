// One home for every method fact (issue 11): the catalogue (src/registry/methods) states each
// method's names, parameter schemas and defaults; the code that runs them (src/ml, the stage
// runners, the scripts) takes resolved arguments. This test walks the catalogue and those
// files and fails when a default, a method name or a parameter schema is stated a second time.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { METHODS, type JsonSchema } from '../../src/registry/index.js';
import { root } from './harness.js';

/** Where methods are run, not described: none of these may restate a catalogue fact. */
const RUNNERS = ['src/ml', 'src/stages', 'src/cli/scripts', 'src/cli/commands/merge.ts', 'src/index.ts'];
/** Files not yet moved onto resolved arguments (listed so a gap is visible; empty now). */
const NOT_YET: readonly string[] = [];

function files(path: string): string[] {
  const abs = join(root, path);
  if (abs.endsWith('.ts')) return [abs];
  return readdirSync(abs, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? files(join(path, e.name)) : e.name.endsWith('.ts') ? [join(abs, e.name)] : []);
}

/** code lines of the runner files, comments removed, with their location */
const lines = RUNNERS.flatMap(files).flatMap((f) => {
  const text = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '));
  return text.split('\n').map((l, i) => ({ at: `${relative(root, f)}:${i + 1}`, code: l.replace(/(^|[^:'"`])\/\/.*$/, '$1') }));
});

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('every name a method answers to belongs to one method only', () => {
  const owner = new Map<string, string>();
  const clashes: string[] = [];
  for (const m of METHODS) {
    for (const n of [m.name, ...(m.aliases ?? []), ...Object.keys(m.variants ?? {})]) {
      const o = owner.get(n);
      if (o && o !== m.name) clashes.push(`${n}: ${o} and ${m.name}`);
      owner.set(n, m.name);
    }
  }
  assert.equal(clashes, []);
});

test('every alias names a parameter of its method, and every selector rule names real values', () => {
  const bad: string[] = [];
  for (const m of METHODS) {
    for (const [a, al] of Object.entries(m.paramAliases ?? {})) {
      if (!(al.to in m.schema.properties)) bad.push(`${m.name}: alias ${a} → unknown ${al.to}`);
      if (a in m.schema.properties) bad.push(`${m.name}: alias ${a} is also a parameter`);
    }
    for (const [p, rule] of Object.entries(m.appliesWhen ?? {})) {
      const sel = m.schema.properties[rule.param] as JsonSchema | undefined;
      if (!(p in m.schema.properties) || !sel) bad.push(`${m.name}: appliesWhen ${p} / ${rule.param}`);
      else for (const v of rule.values) if (!(sel['enum'] as unknown[] | undefined)?.includes(v)) bad.push(`${m.name}: ${rule.param}=${String(v)} is not a value of ${rule.param}`);
    }
  }
  assert.equal(bad, []);
});

test('no parameter schema outside the catalogue (no ParamSpec-style {name, type, default} tables)', () => {
  const hits = lines.filter((l) => /\bParamSpec\b/.test(l.code) || (/\bdefault\s*:/.test(l.code) && /\b(doc|type|min|max|description)\s*:/.test(l.code)));
  assert.equal(hits.map((h) => `${h.at}: ${h.code.trim()}`), []);
});

test('no method name list or method name field outside the catalogue', () => {
  const names = new Set(METHODS.filter((m) => m.role !== 'dataset').flatMap((m) => [m.name, ...(m.aliases ?? []), ...Object.keys(m.variants ?? {})]));
  const hits = lines.filter((l) => {
    if (/\bStageKind\b/.test(l.code)) return false; // stage kinds share some words with method names (continual, multitask, merge)
    // a list of method names ([...'lora', 'l_lora'...]) or a method declaring its name / aliases;
    // TypeScript unions and `case` dispatch on them are checked against the catalogue by the compiler
    const lists = [...l.code.matchAll(/\[([^\]]*)\]/g)].map((m) => [...m[1]!.matchAll(/'([a-z_]+)'/g)].filter((q) => names.has(q[1]!)).length);
    const declares = [...l.code.matchAll(/\b(name|aliases)\s*:\s*\[?\s*'([a-z_]+)'/g)].some((m) => names.has(m[2]!));
    return lists.some((n) => n >= 2) || declares;
  });
  assert.equal(hits.map((h) => `${h.at}: ${h.code.trim()}`), []);
});

test('no default of a catalogue parameter restated where methods run', () => {
  // every (parameter, default) the catalogue states, for non-trivial scalar defaults
  const facts = new Map<string, Set<string>>();
  for (const m of METHODS) {
    for (const [k, s] of Object.entries(m.schema.properties)) {
      const d = s['default'];
      if (typeof d === 'number' && d !== 0 && d !== 1) (facts.get(k) ?? facts.set(k, new Set()).get(k)!).add(String(d));
      if (typeof d === 'string' && d.length > 1) (facts.get(k) ?? facts.set(k, new Set()).get(k)!).add(`'${d}'`);
    }
  }
  const hits: string[] = [];
  for (const [k, ds] of facts) {
    for (const d of ds) {
      const v = esc(d);
      // `k: 16`, `k ?? 16`, `'k', 16` (a getter with a fallback), `k = 16` (a parameter default)
      const re = new RegExp(`(\\b${k}\\s*(:|\\?\\?|=)\\s*${v}\\b|'${k}'\\s*,\\s*${v}\\b|\\.${k}\\s*\\?\\?\\s*${v}\\b)`);
      for (const l of lines) if (re.test(l.code) && !NOT_YET.some((n) => l.at.startsWith(n))) hits.push(`${l.at}: ${k} = ${d}: ${l.code.trim()}`);
    }
  }
  assert.equal(hits, []);
});

test('the ml entry points take resolved arguments: no `args.param ?? value` fallback for a catalogue parameter', () => {
  const params = new Set(METHODS.flatMap((m) => Object.keys(m.schema.properties)));
  const ml = lines.filter((l) => l.at.startsWith('src/ml/') && !NOT_YET.some((n) => l.at.startsWith(n)));
  const hits = ml.filter((l) => [...l.code.matchAll(/\b(?:args|p|a)\.([a-z_]+)\s*\?\?\s*(?:-?[\d.]|'|true\b|false\b)/g)].some((m) => params.has(m[1]!)) || /\bDEFAULT_LORA\b/.test(l.code));
  assert.equal(hits.map((h) => `${h.at}: ${h.code.trim()}`), []);
});

test.run();
