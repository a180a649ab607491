// The typed CST and the railroad diagram are generated from the parser: they must be current,
// and the diagram must open offline (no external scripts or stylesheets).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cstTypesSource, railroadHtml } from '../../src/syntax/generated.js';
import { root } from './harness.js';

test('src/syntax/cst.ts is up to date (regenerate: node dist/src/syntax/generated.js)', () => {
  assert.fixture(readFileSync(join(root, 'src/syntax/cst.ts'), 'utf8'), cstTypesSource());
});

test('grammar/railroad.html is up to date and self-contained', () => {
  const html = readFileSync(join(root, 'grammar/railroad.html'), 'utf8');
  assert.ok(html === railroadHtml(), 'stale: run node dist/src/syntax/generated.js');
  assert.not.match(html, /<script[^>]+src=/);
  assert.not.match(html, /<link[^>]+href=/);
  assert.match(html, /serializedGrammar/);
  assert.match(html, /"name": "finetuneSource"/);
});

test('grammar/fbw.ebnf names every parser rule', () => {
  const ebnf = readFileSync(join(root, 'grammar/fbw.ebnf'), 'utf8');
  const rules = [...cstTypesSource().matchAll(/name: "(\w+)"/g)].map((m) => m[1]!);
  for (const r of rules) assert.match(ebnf, new RegExp(`^${r}\\s*=`, 'm'), `rule ${r} missing from fbw.ebnf`);
});

test('grammar/README.md documents every diagnostic code', async () => {
  const { DIAGNOSTIC_CODES } = await import('../../src/diagnostics/codes.js');
  const readme = readFileSync(join(root, 'grammar/README.md'), 'utf8');
  for (const c of Object.keys(DIAGNOSTIC_CODES)) assert.match(readme, `| ${c} |`);
});

test('the examples in grammar/README.md check clean', async () => {
  const { compileWorkflow } = await import('../../src/compile/compileWorkflow.js');
  const readme = readFileSync(join(root, 'grammar/README.md'), 'utf8');
  const block = /```fbw\n([\s\S]*?)```/.exec(readme)![1]!;
  const r = compileWorkflow(block, 'grammar/README.md', { baseDir: '/virtual' });
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.span.line}:${d.span.column} ${d.message}`), []);
  assert.ok(r.graph!.stages.length > 50);
});

test.run();
