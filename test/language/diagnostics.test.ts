// The printed form of a diagnostic, and checks that are easiest to state as one-line cases.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileWorkflow } from '../../src/compile/compileWorkflow.js';
import { formatDiagnostic } from '../../src/diagnostics/formatDiagnostic.js';
import { codes, compile } from './harness.js';

test('format: FILE:LINE:COL: error FBW####: message, source line, caret, hint', () => {
  const text = '# x\nfinetune clip on [sun397, car] lora(r=16) then average -> eval TA8\n';
  const r = compileWorkflow(text, 'my.fbw');
  assert.is(r.diagnostics.length, 1);
  assert.is(formatDiagnostic(r.diagnostics[0]!, text), [
    "my.fbw:2:27: error FBW0102: unknown dataset 'car'",
    'finetune clip on [sun397, car] lora(r=16) then average -> eval TA8',
    '                          ^^^',
    "hint: did you mean 'cars'?",
  ].join('\n'));
});

test('caret lines up under tabs', () => {
  const text = '\tfinetune clipp on [mnist] full';
  const d = compileWorkflow(text, 't.fbw').diagnostics[0]!;
  assert.is(formatDiagnostic(d, text).split('\n')[2], '\t         ^^^^^');
});

test('all errors at once, in source order', () => {
  assert.equal(codes('finetune clipp on [car] lora(r=0)\nft then averag'), ['FBW0101 1:10', 'FBW0102 1:20', 'FBW0106 1:32', 'FBW0103 2:1', 'FBW0104 2:9']);
});

test('a syntax error does not hide the statements after it', () => {
  assert.equal(codes('finetune clip on [mnist lora\nfinetune clip on [svhnn] full'), ['FBW0001 1:25', 'FBW0102 2:19']);
});

test('hint suggests keywords, models, datasets, pools, methods and parameters', () => {
  const hints = (t: string) => compile(t).diagnostics.map((d) => d.hint);
  assert.equal(hints('finetune clip on TA88 lora'), ["did you mean 'TA8'?"]);
  assert.equal(hints('finetune clip on [mnist, svhn] lora then task_arithmetc'), ["did you mean 'task_arithmetic'?"]);
  assert.equal(hints('finetune clip on [mnist] lora(lora_dropuot=0.1)'), ["did you mean 'lora_dropout'?"]);
  assert.equal(hints('evl clip on TA8'), ["did you mean 'eval'?"]);
});

test('sweep elements are checked one by one and located', () => {
  assert.equal(codes('finetune clip on [mnist, svhn] full then ties(threshold=[10, 0, 120])'), ['FBW0106 1:62', 'FBW0106 1:65']);
});

test('a warning alone still yields a graph', () => {
  const r = compile('finetune clip on [mnist, mnist, svhn] full then average');
  assert.is(r.diagnostics[0]!.severity, 'warning');
  assert.ok(r.graph);
});

test('never throws on garbage', () => {
  for (const t of ['', '\n\n', ')))', 'let', 'let x =', '[', '-> eval', 'model = "', 'finetune on on on', '{{{', 'then then', '"\\']) {
    const r = compile(t);
    assert.ok(Array.isArray(r.diagnostics));
  }
});

test.run();
