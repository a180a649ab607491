// Lowering semantics a user relies on: sharing, dedup, sweeps, modes, devices, paths, save.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { graphOf, stage } from './harness.js';

test('heads and pretrained models are shared across statements', () => {
  const g = graphOf('finetune clip on [mnist, svhn] full then average -> eval [mnist, svhn]\nfinetune clip on [mnist, svhn] lora then ties -> eval [mnist]');
  assert.is(g.stages.filter((s) => s.kind === 'pretrained').length, 1);
  assert.is(g.stages.filter((s) => s.kind === 'zeroshot_head').length, 2);
  assert.is(g.stages.filter((s) => s.kind === 'report').length, 1);
});

test('identical fine-tunes in two statements are one stage; a let makes it explicit', () => {
  const g = graphOf('let ft = finetune clip on [mnist, svhn] lora\nft then average\nfinetune clip on [mnist, svhn] lora then ties');
  assert.is(g.stages.filter((s) => s.kind === 'finetune').length, 2);
  assert.equal(stage(g, 'merge.ties').inputs.filter((i) => i.role === 'model').map((i) => i.stage), ['finetune.lora.mnist', 'finetune.lora.svhn']);
});

test('a sweep is a cartesian product, one stage per point, checked element by element', () => {
  const g = graphOf('finetune clip on [mnist, svhn] full then ties(scaling_factor=[0.3, 0.5], threshold=[10, 20, 30])');
  const ties = g.stages.filter((s) => s.method === 'ties');
  assert.is(ties.length, 6);
  assert.equal(stage(g, 'merge.ties[scaling_factor=0.5,threshold=30]').params, { scaling_factor: 0.5, threshold: 30, remove_keys: [], merge_func: 'sum' });
});

test('a list-valued parameter is a value, a list of lists is a sweep', () => {
  const one = graphOf('finetune clip on [mnist, svhn] lora(target_modules=[q_proj, k_proj])');
  assert.equal(stage(one, 'finetune.lora.mnist').params['target_modules'], ['q_proj', 'k_proj']);
  const two = graphOf('finetune clip on [mnist, svhn] lora(target_modules=[[q_proj], [v_proj]])');
  assert.is(two.stages.filter((s) => s.kind === 'finetune').length, 4);
});

test('continual and multitask make one stage over all tasks with per-task heads', () => {
  const g = graphOf('finetune clip on [mnist, svhn, dtd] continual lora(r=4) -> eval [mnist]');
  const c = stage(g, 'continual.lora');
  assert.equal(c.tasks, ['mnist', 'svhn', 'dtd']);
  assert.is(c.params['shuffle_order'], true);
  assert.is(c.params['r'], 4);
  assert.equal(c.inputs.filter((i) => i.role === 'head').map((i) => i.task), ['mnist', 'svhn', 'dtd']);
  assert.is(stage(g, 'eval.continual.lora.mnist').params['row'], 'continual');
});

test('classifier: max_steps given means max_epochs resolves to null; objects merge with defaults', () => {
  const g = graphOf('finetune clip-tiny on [mnist] classifier(max_steps=100, optimizer={lr: 0.1})');
  const p = stage(g, 'finetune.classifier.mnist').params;
  assert.is(p['max_epochs'], null);
  assert.is(p['max_steps'], 100);
  assert.equal(p['optimizer'], { name: 'sgd', lr: 0.1, momentum: 0.9, weight_decay: 1e-4 });
});

test('device hints and devices=N land on the stage, not in params', () => {
  const g = graphOf('finetune clip on [mnist, svhn] full(devices=2) on gpu:1 then average on cpu');
  const f = stage(g, 'finetune.full.mnist');
  assert.is(f.device, 'gpu:1');
  assert.is(f.devices, 2);
  assert.not.ok('devices' in f.params);
  assert.is(stage(g, 'merge.average').device, 'cpu');
});

test('paths resolve against the workflow folder; declared data sets travel with their stages', () => {
  const g = graphOf('model m = "snap"\ndataset d = imagefolder("data/d")\nfinetune m on [d, mnist] full then average');
  assert.equal(stage(g, 'model.m').params, { name: 'm', path: '/virtual/snap' });
  assert.equal(stage(g, 'finetune.full.d').datasets, { d: { loader: 'imagefolder', path: '/virtual/data/d', params: { test_split: 'test', train_split: 'train' } } });
  assert.is(stage(g, 'finetune.full.mnist').datasets, undefined);
});

test('pretrain from random init, saved to a folder', () => {
  const g = graphOf('pretrain clip-tiny on LOCAL_QUICK contrastive(num_steps=10) -> save "models/clip-tiny"');
  assert.equal(stage(g, 'init.clip-tiny').method, 'init');
  const p = stage(g, 'pretrain.contrastive.clip-tiny');
  assert.is(p.saveTo, '/virtual/models/clip-tiny');
  assert.is(p.params['num_steps'], 10);
  assert.equal(p.tasks, ['mnist', 'synth_shapes', 'synth_colors']);
});

test('eval after pretrain uses heads built from the pretrained model itself', () => {
  const g = graphOf('pretrain clip-tiny on [mnist, svhn] contrastive(num_steps=10) -> eval [mnist]');
  assert.equal(stage(g, 'head.clip-tiny-pretrained.mnist').inputs, [{ stage: 'pretrain.contrastive.clip-tiny', role: 'model' }]);
  assert.is(g.stages.filter((s) => s.kind === 'eval').length, 1);
});

test('report folder and zero-shot eval alone', () => {
  const g = graphOf('eval clip-tiny on LOCAL_QUICK\nreport "out/r"');
  assert.equal(stage(g, 'report').params, { dir: '/virtual/out/r' });
  assert.is(stage(g, 'eval.clip-tiny.mnist').params['row'], 'pretrained (zero-shot)');
});

test('aliases resolve to canonical names', () => {
  const g = graphOf('finetune clip-vit-base-patch32 on [cars, flowers] full then simple_average');
  assert.ok(stage(g, 'finetune.full.stanford_cars'));
  assert.ok(stage(g, 'finetune.full.oxford_flowers102'));
  assert.is(stage(g, 'merge.average').method, 'average');
});

test('multi-line statements: brackets and leading then / -> continue a statement', () => {
  const g = graphOf('finetune clip on [mnist,\n  svhn] full\n  then [average,\n        ties]\n  -> eval [mnist]');
  assert.ok(stage(g, 'merge.ties'));
  assert.ok(stage(g, 'eval.ties.mnist'));
});

test('individual rows stay one row per method when a file fine-tunes several ways', () => {
  const rows = (text: string) => [...new Set(graphOf(text).stages.filter((s) => s.kind === 'eval').map((s) => s.params['row']))].sort();
  assert.equal(rows('finetune clip on [mnist] lora -> eval [mnist]'), ['fine-tuned (individual)', 'pretrained (zero-shot)']);
  assert.equal(rows('finetune clip on [mnist] lora -> eval [mnist]\nfinetune clip on [mnist] bitfit -> eval [mnist]'),
    ['fine-tuned (individual) bitfit', 'fine-tuned (individual) lora', 'pretrained (zero-shot)']);
});

test.run();
