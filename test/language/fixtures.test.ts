// Fixtures: each valid file checks clean and contains its `# expect-stage:` ids; an invalid file
// that is not one rule's (all-at-once.fbw) gets exactly its `# expect: CODE LINE:COL` diagnostics.
// Each rule's own fixtures are tested beside them, by test/fixtures/invalid/FBWxxxx.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileWorkflow } from '../../src/compile/compileWorkflow.js';
import { DIAGNOSTIC_CODES } from '../../src/diagnostics/codes.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { files, root } from './harness.js';

const allInvalid = files('test/fixtures/invalid');
/** fixtures named after one rule (FBWxxxx-*.fbw) are that rule's test's */
const invalid = allInvalid.filter((f) => !/^FBW\d{4}-/.test(f.name));
const valid = files('test/fixtures/valid');

for (const f of invalid) {
  test(`invalid/${f.name} reports exactly its expected diagnostics`, () => {
    const expected = [...f.text.matchAll(/^# expect: (FBW\d{4}) (\d+:\d+)( warning)?$/gm)].map((m) => `${m[1]} ${m[2]}${m[3] ?? ''}`);
    assert.ok(expected.length > 0, 'fixture states no expectations');
    const r = compileWorkflow(f.text, f.path);
    const actual = r.diagnostics.map((d) => `${d.code} ${d.span.line}:${d.span.column}${d.severity === 'warning' ? ' warning' : ''}`);
    assert.equal(actual, expected);
    for (const d of r.diagnostics) {
      assert.ok(d.message.length > 0);
      assert.ok(d.span.endOffset > d.span.offset, `${d.code} has an empty span`);
      assert.is(d.span.file, f.path);
    }
  });
}

for (const f of valid) {
  test(`valid/${f.name} checks clean and has its stages`, () => {
    const r = compileWorkflow(f.text, f.path);
    const warnings = [...f.text.matchAll(/^# expect-warning: (FBW\d{4})$/gm)].map((m) => m[1]);
    assert.equal(r.diagnostics.map((d) => `${d.code} ${d.severity}`), warnings.map((c) => `${c} warning`));
    assert.ok(r.graph, 'no graph');
    const ids = new Set(r.graph!.stages.map((s) => s.id));
    for (const m of f.text.matchAll(/^# expect-stage: (\S+)$/gm)) assert.ok(ids.has(m[1]!), `missing stage ${m[1]}; have ${[...ids].join(', ')}`);
  });
}

test('every diagnostic code has an invalid fixture that expects it', () => {
  const covered = new Set(allInvalid.flatMap((f) => [...f.text.matchAll(/^# expect: (FBW\d{4})/gm)].map((m) => m[1])));
  const missing = Object.keys(DIAGNOSTIC_CODES).filter((c) => !covered.has(c));
  assert.equal(missing, []);
});

test('every diagnostic code has its own test beside its fixtures, and every such test a code', () => {
  const dir = join(root, 'test', 'fixtures', 'invalid');
  const missing = Object.keys(DIAGNOSTIC_CODES).filter((c) => !existsSync(join(dir, `${c}.test.ts`)));
  assert.equal(missing, [], 'add test/fixtures/invalid/FBWxxxx.test.ts (one line: checkRule(code))');
  const stray = files('test/fixtures/invalid').map((f) => f.name.slice(0, 7)).filter((c) => /^FBW\d{4}$/.test(c) && !(c in DIAGNOSTIC_CODES));
  assert.equal(stray, [], 'fixtures named after a code that does not exist');
});

test.run();
