// Ctrl-C while stages are starting or running: those stages end "interrupted" (never "failed"),
// with no stack trace and no replay hint; `fbw runs` counts no failure; a stage without a
// checkpoint (an eval) is named as finishing first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FBW, fbw, root, tempDir } from './helpers.js';
import { writeWorkflow } from '../shared/helpers.js';

interface Outcome { code: number | null; events: { event: string; stage?: string; error?: string }[]; err: string }

/** `fbw run FILE --json` as a real process; SIGINT as soon as `when` sees an event. */
function runAndInterrupt(dir: string, file: string, when: (e: { event: string; stage?: string }) => boolean, env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FBW(), 'run', file, '--json', '--devices', 'cpu:2'], { cwd: dir, env });
    let buf = '', err = '', sent = false;
    const events: Outcome['events'] = [];
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const e = JSON.parse(buf.slice(0, nl)) as Outcome['events'][number];
        buf = buf.slice(nl + 1);
        events.push(e);
        if (!sent && when(e)) { sent = true; child.kill('SIGINT'); }
      }
    });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => resolve({ code, events, err }));
  });
}

test('Ctrl-C as stages start: interrupted, not failed; no stack, no replay hint; runs counts no failure', async () => {
  const dir = tempDir('fbw-int-');
  const env = { ...process.env, FBW_STATE_DIR: tempDir('fbw-state-') };
  writeWorkflow(dir, `model base = "${join(root(), 'models', 'clip-tiny')}"\nfinetune base on [synth_shapes, synth_colors] lora(num_steps=400, save_interval=20) -> eval [synth_shapes]\n`, 'w.fbw');
  const r = await runAndInterrupt(dir, 'w.fbw', (e) => e.event === 'started' && (e.stage ?? '').startsWith('finetune.'), env);
  assert.is(r.code, 130, r.err);
  assert.equal(r.events.filter((e) => e.event === 'failed'), [], JSON.stringify(r.events.filter((e) => e.event === 'failed')));
  assert.ok(r.events.some((e) => e.event === 'interrupted' && e.stage?.startsWith('finetune.')));
  assert.not.match(r.err, /^\s+at /m);
  assert.not.match(r.err, /fbw replay/);
  assert.match(r.err, /interrupting/);
  const runs = await fbw(['runs', '--json'], dir, env);
  const s = JSON.parse(runs.out.trim()) as { status: string; failed: number };
  assert.is(s.status, 'interrupted');
  assert.is(s.failed, 0);
});

test('Ctrl-C during an evaluation says the eval finishes first (it has no checkpoint)', async () => {
  const dir = tempDir('fbw-int-');
  const env = { ...process.env, FBW_STATE_DIR: tempDir('fbw-state-') };
  writeWorkflow(dir, `model base = "${join(root(), 'models', 'clip-tiny')}"\neval base on [mnist]\n`, 'e.fbw');
  const r = await runAndInterrupt(dir, 'e.fbw', (e) => e.event === 'started' && (e.stage ?? '').startsWith('eval.'), env);
  assert.ok(r.code === 130 || r.code === 0, r.err);
  assert.match(r.err, /eval\.base\.mnist has no checkpoint and finishes first/);
  assert.equal(r.events.filter((e) => e.event === 'failed'), []);
});

test.run();
