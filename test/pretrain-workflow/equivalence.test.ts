// The two-phase pretraining recipe of workflows/pretrain-tiny-clip.fbw, at toy size: the workflow run
// through the real CLI (compile -> scheduler -> pretrain stage, phase 2 continuing from phase 1's
// committed artifact) and the direct script (node dist/src/cli/scripts/pretrain.js, phase 2 with
// --init-from) given the same settings produce bit-identical weights, phase by phase.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'fbw.js');
const SCRIPT = join(ROOT, 'dist', 'src', 'cli', 'scripts', 'pretrain.js');
const dir = mkdtempSync(join(tmpdir(), 'fbw-pretrain-eq-'));

// tiny budgets: 3 steps of 8 pairs, 64 training images per task; phase 2 repeats tasks as weights
const P1_TASKS = ['mnist', 'synth_shapes', 'synth_colors'];
const P2_TASKS = ['mnist', 'synth_shapes', 'synth_shapes', 'synth_colors', 'mnist'];

function run(args: readonly string[], cwd = dir): string {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, `${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

const bytes = (p: string): Buffer => readFileSync(p);

test('workflow phases 1 and 2 == direct script phases 1 and 2, bit for bit', () => {
  writeFileSync(join(dir, 'tiny.fbw'), [
    `let p1 = pretrain clip-tiny on [${P1_TASKS.join(', ')}] contrastive(num_steps=3, batch_size=8, learning_rate=5e-4, seed=42, max_train=64) -> save "wf/p1"`,
    `pretrain p1 on [${P2_TASKS.join(', ')}] contrastive(num_steps=3, batch_size=8, learning_rate=3e-4, warmup_steps=1, seed=43, max_train=64) -> save "wf/p2"`,
    '',
  ].join('\n'));
  run([BIN, 'run', 'tiny.fbw', '--store', join(dir, 'store')]);
  run([SCRIPT, '--out', join(dir, 'direct/p1'), '--steps', '3', '--batch', '8', '--lr', '5e-4', '--seed', '42', '--max-train', '64', '--tasks', P1_TASKS.join(','), '--eval-max', '8']);
  run([SCRIPT, '--init-from', join(dir, 'direct/p1'), '--out', join(dir, 'direct/p2'), '--steps', '3', '--batch', '8', '--lr', '3e-4', '--warmup', '1', '--seed', '43', '--max-train', '64', '--tasks', P2_TASKS.join(','), '--eval-max', '8']);
  for (const phase of ['p1', 'p2']) {
    for (const f of ['model.safetensors', 'config.json', 'vocab.json', 'merges.txt']) {
      assert.ok(bytes(join(dir, 'wf', phase, f)).equals(bytes(join(dir, 'direct', phase, f))), `${phase}/${f} differs between the workflow and the direct script`);
    }
  }
  // phase 2 really continued (its weights differ from phase 1's) and logged the same losses
  assert.not.ok(bytes(join(dir, 'wf/p2/model.safetensors')).equals(bytes(join(dir, 'wf/p1/model.safetensors'))));
  const losses = (p: string) => (JSON.parse(readFileSync(p, 'utf8')) as { loss: number }[]).map((e) => e.loss);
  assert.equal(losses(join(dir, 'wf/p2/train_log.json')), losses(join(dir, 'direct/p2/train_log.phase2.json')));
  assert.is(losses(join(dir, 'wf/p2/train_log.json')).length, 3);
});

test('contrastive(width, vision_layers) pretrains a CLIP of that size; a continued phase keeps its parent\'s', () => {
  writeFileSync(join(dir, 'wide.fbw'), [
    `let w = pretrain clip-tiny on [${P1_TASKS.join(', ')}] contrastive(num_steps=2, batch_size=8, seed=42, max_train=16, width=32, vision_layers=2) -> save "wide/p1"`,
    `pretrain w on [${P1_TASKS.join(', ')}] contrastive(num_steps=1, batch_size=8, seed=43, max_train=16, width=128) -> save "wide/p2"`,
    '',
  ].join('\n'));
  run([BIN, 'run', 'wide.fbw', '--store', join(dir, 'store')]);
  for (const phase of ['p1', 'p2']) {
    const c = JSON.parse(readFileSync(join(dir, 'wide', phase, 'config.json'), 'utf8')) as { projection_dim: number; vision_config: { hidden_size: number; intermediate_size: number; num_hidden_layers: number }; text_config: { hidden_size: number; num_hidden_layers: number } };
    assert.equal([c.projection_dim, c.vision_config.hidden_size, c.vision_config.intermediate_size, c.vision_config.num_hidden_layers, c.text_config.hidden_size, c.text_config.num_hidden_layers], [32, 32, 128, 2, 32, 2], phase);
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
