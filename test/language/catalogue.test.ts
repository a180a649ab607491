// The language reads every method fact from the catalogue (src/registry/methods): parameter
// aliases and their units, parameters that apply only to one variant, and how many models a
// merge takes. Each test here is a drift that once existed between the language and the runtime.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codes, compile, graphOf, stage } from './harness.js';

const FT = 'finetune clip on [mnist, svhn] full';

test("the design's own `then [average, ties(k=0.2)]` checks clean; k is the fraction kept, threshold the percent", () => {
  const g = graphOf(`${FT} then [average, ties(k=0.2)]`);
  assert.equal(stage(g, 'merge.ties').params, { scaling_factor: 0.3, threshold: 20, remove_keys: [], merge_func: 'sum' });
  // mergekit's density is the same fraction; lambda / scale are scaling_factor
  assert.is(stage(graphOf(`${FT} then ties(density=0.5)`), 'merge.ties').params['threshold'], 50);
  assert.is(stage(graphOf(`${FT} then task_arithmetic(lambda=0.7)`), 'merge.task_arithmetic').params['scaling_factor'], 0.7);
  // a sweep over an alias converts every point
  const sw = graphOf(`${FT} then ties(k=[0.1, 0.3])`).stages.filter((s) => s.method === 'ties').map((s) => s.params['threshold']);
  assert.equal(sw, [10, 30]);
});

test('an alias is checked in its own unit, and cannot be given with the parameter it sets', () => {
  const r = compile(`${FT} then ties(k=20)`);
  assert.equal(r.diagnostics.map((d) => d.code), ['FBW0106']);
  assert.match(r.diagnostics[0]!.message, /parameter 'k'/);
  assert.match(r.diagnostics[0]!.hint ?? '', /k=0\.2 is threshold=20/);
  assert.equal(codes(`${FT} then ties(k=0.2, threshold=20)`), ['FBW0107 1:54']);
});

test('dare(on=task_arithmetic) rejects TIES-only parameters; dare(on=ties) takes them', () => {
  for (const src of [`${FT} then dare(threshold=20)`, `${FT} then dare(on=task_arithmetic, merge_func=mean)`, `${FT} then dare(on=average, scaling_factor=0.5)`, `${FT} then dare(on=[ties, average], k=0.2)`]) {
    const r = compile(src);
    assert.equal(r.diagnostics.map((d) => d.code), ['FBW0105'], src);
    assert.match(r.diagnostics[0]!.message, /applies only to dare\(on=/, src);
  }
  const g = graphOf(`${FT} then dare(on=ties, k=0.2, sparsity_ratio=0.3)`);
  assert.equal(stage(g, 'merge.dare').params['threshold'], 20);
  assert.equal(stage(g, 'merge.dare').params['on'], 'ties');
});

test('contrastive vocab_size below what the BPE learner can build is refused at check time (was a RangeError at run time)', () => {
  const r = compile('pretrain clip-tiny on [mnist] contrastive(vocab_size=256)');
  assert.equal(r.diagnostics.map((d) => d.code), ['FBW0106']);
  assert.match(r.diagnostics[0]!.message, /vocab_size/);
  assert.equal(codes('pretrain clip-tiny on [mnist] contrastive(vocab_size=514)'), []);
});

test("Fisher's and RegMean's seed are settable from a workflow", () => {
  assert.is(stage(graphOf(`${FT} then fisher(seed=7)`), 'merge.fisher').params['seed'], 7);
  assert.is(stage(graphOf(`${FT} then regmean(seed=9)`), 'merge.regmean').params['seed'], 9);
  assert.is(stage(graphOf(`${FT} then fisher`), 'merge.fisher').params['seed'], 42);
});

test('the catalogue says how many models a merge takes: slerp takes exactly two', () => {
  assert.ok(graphOf('finetune clip on [mnist, svhn] full then slerp(t=0.3)'));
  const r = compile('finetune clip on [mnist, svhn, dtd] full then slerp');
  assert.equal(r.diagnostics.map((d) => d.code), ['FBW0113']);
  assert.match(r.diagnostics[0]!.message, /slerp merges at most 2 models, but it gets 3/);
  assert.equal(compile('finetune clip on [mnist] full then ties').diagnostics.map((d) => d.code), ['FBW0113']);
});

test('weighted_average answers to mergekit\'s name linear', () => {
  assert.equal(stage(graphOf(`${FT} then linear(weights=[0.7, 0.3])`), 'merge.weighted_average').params, { weights: [0.7, 0.3], normalize: true });
});

test.run();

test('scaling_search: the grid is a list value, not a sweep; it reads each task\'s head; TIES parameters only with on=ties', () => {
  const g = graphOf(`${FT} then scaling_search(on=ties, grid=[0.2, 0.4], k=0.2)`);
  const m = stage(g, 'merge.scaling_search');
  assert.equal(m.params['grid'], [0.2, 0.4]);
  assert.is(m.params['threshold'], 20);
  assert.equal(m.inputs.filter((i) => i.role === 'head').map((i) => i.task), ['mnist', 'svhn']);
  assert.equal(stage(graphOf(`${FT} then scaling_search`), 'merge.scaling_search').params['grid'], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]);
  assert.equal(compile(`${FT} then scaling_search(threshold=20)`).diagnostics.map((d) => d.code), ['FBW0105']);
  assert.equal(compile(`${FT} then scaling_search(grid=[-0.1])`).diagnostics.map((d) => d.code), ['FBW0106']);
});
