// gradient_checkpointing (Hugging Face's name) is accepted by every CLIP fine-tune method and
// rides on the stage like `devices`: an execution setting with identical results, so it is not
// a parameter of the stage key and switching it on reuses a cached fine-tune.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { graphOf, stage, codes } from './harness.js';

for (const m of ['full', 'lora', 'l_lora', 'bitfit']) {
  test(`${m}(gradient_checkpointing=true) marks the stage, not its params`, () => {
    const on = stage(graphOf(`finetune clip on [mnist] ${m}(gradient_checkpointing=true)`), `finetune.${m}.mnist`);
    const off = stage(graphOf(`finetune clip on [mnist] ${m}`), `finetune.${m}.mnist`);
    assert.is(on.gradient_checkpointing, true);
    assert.is(off.gradient_checkpointing, undefined);
    assert.equal(on.params, off.params);
    assert.not.ok('gradient_checkpointing' in on.params);
  });
}

test('multitask and continual fine-tunes take it too; a non-boolean is refused', () => {
  assert.is(stage(graphOf('finetune clip on [mnist, svhn] multitask lora(gradient_checkpointing=true)'), 'multitask.lora').gradient_checkpointing, true);
  assert.ok(codes('finetune clip on [mnist] full(gradient_checkpointing=3)').length > 0);
});

test.run();
