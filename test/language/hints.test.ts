// Review minors 1–11 (language): what the diagnostics say, not only where. Each fixture under
// test/fixtures/invalid named here is also checked for its locations by fixtures.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileWorkflow } from '../../src/compile/compileWorkflow.js';
import { formatDiagnostics, styleFor } from '../../src/diagnostics/formatDiagnostic.js';
import type { Diagnostic } from '../../src/diagnostics/diagnostic.js';
import { root, codes } from './harness.js';

function diagnostics(fixture: string): { text: string; ds: readonly Diagnostic[] } {
  const file = join(root, 'test/fixtures/invalid', fixture);
  const text = readFileSync(file, 'utf8');
  return { text, ds: compileWorkflow(text, file).diagnostics };
}
const said = (d: Diagnostic): string => `${d.message} | ${d.hint ?? ''}`;

test('look-alike characters are named with their code point and the ASCII to type; => suggests ->', () => {
  const { ds } = diagnostics('FBW0003-lookalikes.fbw');
  assert.equal(ds.map(said), [
    "unexpected character '→' (U+2192 RIGHTWARDS ARROW) | it looks like '->' but is not: type the ASCII '->'",
    "unexpected '=>' | did you mean '->'? fbw's arrow is a hyphen and '>'",
    "unexpected character '−' (U+2212 MINUS SIGN) | it looks like '-' but is not: type the ASCII '-'",
    "unexpected character '‑' (U+2011 NON-BREAKING HYPHEN) | it looks like '-' but is not: type the ASCII '-'",
    "the report folder is quoted with '“' (LEFT DOUBLE QUOTATION MARK) | write report \"results/x\" with ASCII double quotes",
  ]);
  // the span of => covers both characters
  assert.is(ds[1]!.span.endOffset - ds[1]!.span.offset, 2);
});

test("a missing '->' before eval: did you mean '-> eval'?", () => {
  const { ds } = diagnostics('FBW0001-missing-arrow.fbw');
  assert.equal(ds.map(said), ["unexpected 'eval' | did you mean '-> eval'? a pipeline's eval step starts with ->"]);
  assert.equal(codes('model base = clip-tiny\nlet ft = finetune base on [mnist] lora\nft then average save "out"\n').length, 1);
  assert.match(said(compileWorkflow('model base = clip-tiny\nlet ft = finetune base on [mnist] lora\nft then average save "out"\n', 't.fbw').diagnostics[0]!), /did you mean '-> save'\?/);
});

test('report with an unquoted folder: one error, the quoted form as the hint', () => {
  const { ds } = diagnostics('FBW0001-report-unquoted.fbw');
  assert.equal(ds.map(said), ['report needs a quoted folder | write report "results/quick/x"']);
});

test('lr → learning_rate and rank → r, not edit-distance guesses', () => {
  const { ds } = diagnostics('FBW0105-other-tools-names.fbw');
  assert.equal(ds.map(said), ["unknown parameter 'lr' for lora | did you mean 'learning_rate'?", "unknown parameter 'rank' for lora | did you mean 'r'?"]);
  // a spelling whose target the method lacks falls back to the usual suggestion
  const avg = compileWorkflow('model base = clip-tiny\nlet ft = finetune base on [mnist, synth_shapes] lora\nft then average(lr=1) -> eval [mnist]\n', 't.fbw').diagnostics;
  assert.match(said(avg[0]!), /unknown parameter 'lr' for average \| average takes no parameters/);
});

test('self-reference and cycles of let: said as such, no impossible "move it above" advice', () => {
  const { ds } = diagnostics('FBW0110-self-reference.fbw');
  assert.match(said(ds[0]!), /^'a' refers to itself: a let cannot use the name it defines \| fine-tuning starts from a model/);
  assert.match(said(ds[1]!), /^'c' is part of a cycle: b uses c uses b \| break the cycle/);
  for (const d of ds) assert.not.match(d.hint ?? '', /move that statement/);
  assert.match(said(ds[2]!), /'b' is a pipeline \(let\), not a model \| it is defined at line 8; fine-tuning starts from a model/);
  // an ordinary use-before-definition keeps its advice
  const later = compileWorkflow('model base = clip-tiny\nft -> eval [mnist]\nlet ft = finetune base on [mnist] lora\n', 't.fbw').diagnostics;
  assert.match(said(later[0]!), /used before its definition \| it is defined at line 3; move that statement above this one/);
});

test('value hints say what the parameter means and its default, the same way for every method', () => {
  const { ds } = diagnostics('FBW0106-value-hint.fbw');
  assert.match(said(ds[0]!), /^invalid value 150 for parameter 'threshold': must be <= 100 \| percent of each task vector kept .*; the default is 20$/);
});

test('a file with no statements, and an unused let, are warnings', () => {
  assert.equal(diagnostics('FBW0127-no-statements.fbw').ds.map((d) => `${d.severity} ${d.message}`), ['warning the file has no statements: `fbw run` would do nothing']);
  assert.equal(compileWorkflow('', 'empty.fbw').diagnostics.map((d) => d.code), ['FBW0127']);
  const unused = diagnostics('FBW0128-unused-let.fbw').ds;
  assert.equal(unused.map((d) => `${d.severity} ${d.message}`), ["warning 'unused' is defined but never used; its stages still run"]);
  assert.is(codes('model base = clip-tiny\nlet ft = finetune base on [mnist] lora\nft -> eval [mnist]\n').length, 0);
});

test('a trailing then (or ->) continues the statement on the next line', () => {
  assert.equal(codes('model base = clip-tiny\nfinetune base on [mnist, synth_shapes] lora then\n  average ->\n  eval [mnist]\n'), []);
});

test('on a terminal: line-number gutter and colour; NO_COLOR keeps the gutter, drops the colour; pipes get neither', () => {
  const { text, ds } = diagnostics('FBW0105-other-tools-names.fbw');
  const tty = styleFor({ isTTY: true }, {});
  const coloured = formatDiagnostics(ds, text, undefined, tty);
  assert.match(coloured, /\u001b\[1;31merror FBW0105\u001b\[0m/);
  const noColor = formatDiagnostics(ds, text, undefined, styleFor({ isTTY: true }, { NO_COLOR: '1' }));
  assert.not.match(noColor, /\u001b\[/);
  const lines = noColor.split('\n');
  assert.match(lines[1]!, /^ 6 \| finetune base on \[mnist\] lora\(lr=1e-3, rank=4\) -> eval \[mnist\]$/);
  assert.match(lines[2]!, /^ {3}\| {31}\^\^$/);
  assert.is(coloured.replace(/\u001b\[[0-9;]*m/g, ''), noColor);
  assert.is(styleFor({ isTTY: false }, {}), undefined);
  assert.not.match(formatDiagnostics(ds, text), /\|/);
});


test('a list of datasets written as a let: the hint says it is a pool', () => {
  const { ds } = diagnostics('FBW0116-let-list.fbw');
  const pool = 'a list of datasets is named with `pool NAME = [a, b]`; let names a pipeline';
  assert.equal(ds.map(said), [
    `'mnist' is a dataset, not a name | ${pool}`,
    `'cars' is a dataset, not a name | ${pool}`,
    `'T' is a pipeline (let), not a pool or dataset | it is defined at line 6; ${pool}`,
  ]);
});

test.run();
