// A vision-only checkpoint (CLIPVisionModel, as FusionBench publishes its fine-tunes; here the output
// of `fbw merge` of such checkpoints without --base) loaded where a whole CLIP is needed: the
// message says it is a vision tower and how to pair it with its base (test/ml-merge/cli.test.ts
// covers merging with --base).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsReader, writeSafetensors, type NamedTensor } from '../../src/ml/io/safetensors.js';
import { loadClip } from '../../src/ml/models/loadClip.js';
import { initBackend } from '../../src/ml/backend/initBackend.js';
import { FBW_BIN } from '../shared/helpers.js';

const TINY = fileURLToPath(new URL('../../../models/clip-tiny', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'fbw-vision-only-'));

async function visionOnly(name: string, shift: number): Promise<string> {
  const r = await SafetensorsReader.open(join(TINY, 'model.safetensors'));
  const out = new Map<string, NamedTensor>();
  for (const t of r.tensors()) if (t.name.startsWith('vision_model.')) { const x = await r.read(t.name); out.set(t.name, { shape: x.shape, data: x.data.map((v) => v + shift) }); }
  await r.close();
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')) as { vision_config: object };
  writeFileSync(join(d, 'config.json'), JSON.stringify({ ...cfg.vision_config, architectures: ['CLIPVisionModel'], model_type: 'clip_vision_model' }));
  await writeSafetensors(join(d, 'model.safetensors'), out);
  return d;
}

test.before(async () => { await initBackend('cpu'); });
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a merge of vision-only checkpoints without a base is a CLIPVisionModel; loading it as a CLIP says what it needs', async () => {
  const a = await visionOnly('c', 0.01), b = await visionOnly('d', 0.02);
  const r = spawnSync(process.execPath, [FBW_BIN, 'merge', 'average', '--models', a, b, '-o', join(dir, 'avg')], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stdout + r.stderr);
  try { (await loadClip(join(dir, 'avg'))).dispose(); assert.unreachable('loaded a vision-only folder as a CLIP'); } catch (e) {
    assert.match((e as Error).message, /a CLIPVisionModel \(the vision tower only.*from clip/);
  }
});

test.run();
