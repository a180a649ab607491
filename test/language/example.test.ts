// The "done when": the DESIGN line compiles to exactly the graph DESIGN.md §1 describes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatGraph } from '../../src/compile/formatGraph.js';
import { BUILTIN_POOLS } from '../../src/registry/datasets.js';
import { graphOf } from './harness.js';

const LINE = 'finetune clip on [sun397, cars] lora(r=16) then average -> eval TA8';
type JsonStage = { id: string; kind: string; method: string; task?: string; params: Record<string, unknown>; inputs: string[]; edges: { from: string; role: string }[] };
const stages = (JSON.parse(formatGraph(graphOf(LINE), 'json')) as { stages: JsonStage[] }).stages;

test('two LoRA fine-tunes, r=16 with the seed defaults filled in', () => {
  const ft = stages.filter((s) => s.kind === 'finetune');
  assert.equal(ft.map((s) => s.task), ['sun397', 'stanford_cars']);
  for (const s of ft) {
    assert.is(s.method, 'lora');
    assert.equal(s.params, {
      learning_rate: 1e-5, weight_decay: 0, num_steps: 4000, batch_size: 128, num_workers: 16, save_interval: 500, seed: 42,
      state_dict_load_path: null, state_dict_save_path: null, skip_training: false, head: 'zeroshot',
      r: 16, lora_alpha: 32, target_modules: ['q_proj', 'v_proj'], lora_dropout: 0.1, bias: 'none',
    });
  }
});

test('one average merge whose model inputs are exactly the two fine-tunes', () => {
  const m = stages.filter((s) => s.kind === 'merge');
  assert.is(m.length, 1);
  assert.is(m[0]!.id, 'merge.average');
  assert.is(m[0]!.method, 'average');
  assert.equal(m[0]!.edges.filter((e) => e.role === 'model').map((e) => e.from), ['finetune.lora.sun397', 'finetune.lora.stanford_cars']);
  assert.equal(m[0]!.edges.filter((e) => e.role === 'base').map((e) => e.from), ['model.clip']);
});

test('the merged model is evaluated on all eight TA8 tasks, next to the baselines', () => {
  const evals = stages.filter((s) => s.kind === 'eval');
  const of = (id: string) => evals.filter((s) => s.inputs[0] === id).map((s) => s.task).sort();
  assert.equal(of('merge.average'), [...BUILTIN_POOLS['TA8']!].sort());
  assert.equal(of('model.clip'), [...BUILTIN_POOLS['TA8']!].sort());
  assert.equal(of('finetune.lora.sun397'), ['sun397']);
  assert.equal(evals.find((s) => s.id === 'eval.average.mnist')!.params, { row: 'average' });
  assert.is(stages.filter((s) => s.kind === 'zeroshot_head').length, 8, 'one head per TA8 task, shared');
  const report = stages.filter((s) => s.kind === 'report');
  assert.is(report.length, 1);
  assert.is(report[0]!.inputs.length, evals.length + 2);
});

test('stage ids are unique and inputs come first (topological order)', () => {
  const seen = new Set<string>();
  for (const s of stages) {
    for (const i of s.inputs) assert.ok(seen.has(i), `${s.id} uses ${i} before it exists`);
    assert.not.ok(seen.has(s.id));
    seen.add(s.id);
  }
});

test.run();
