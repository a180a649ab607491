// Fixtures: each invalid file states its expected diagnostics (`# expect: CODE LINE:COL`) and
// gets exactly those; each valid file checks clean and contains its `# expect-stage:` ids.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileWorkflow } from '../../src/compile/compileWorkflow.js';
import { DIAGNOSTIC_CODES } from '../../src/diagnostics/codes.js';
import { files } from './harness.js';

const invalid = files('test/fixtures/invalid');
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
  const covered = new Set(invalid.flatMap((f) => [...f.text.matchAll(/^# expect: (FBW\d{4})/gm)].map((m) => m[1])));
  const missing = Object.keys(DIAGNOSTIC_CODES).filter((c) => !covered.has(c));
  assert.equal(missing, []);
});

test.run();
