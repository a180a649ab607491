// End to end: the real `fbw run` CLI in a real pseudo-terminal (tmux), on a small real
// workflow; the final screen must show every stage done (or cached on the second run) and
// the right summary counts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makeModelDir, pretrained, stage } from '../scheduler/helpers.js';
import type { Graph } from '../../src/compile/ir.js';
import { repoRoot } from './fixtures.js';

const haveTmux = spawnSync('tmux', ['-V']).status === 0;
let sessions = 0;

/** tmux on a private server socket (one per terminal), so nothing else's sessions are touched. */
function tmux(socket: string, ...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
}

/** Run `fbw ARGS` in a 120×40 tmux pane; return the screen once the command has exited. */
async function runInTerminal(cwd: string, args: readonly string[], columns = 120): Promise<{ screen: string; exit: number }> {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // CI=... makes ink print only the last frame; unset it so the live renderer is what we test
  const cmd = `cd '${cwd}' && env -u CI -u CONTINUOUS_INTEGRATION -u NO_COLOR TERM=xterm-256color node '${path.join(repoRoot, 'bin/fbw.js')}' ${quoted}; echo "FBW-EXIT=$?"; sleep 600`;
  const socket = `fbw-e2e-${process.pid}-${++sessions}`;
  tmux(socket, 'new-session', '-d', '-s', 'e2e', '-x', String(columns), '-y', '40', cmd);
  const socketPath = tmux(socket, 'display-message', '-p', '#{socket_path}').trim();
  try {
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const screen = tmux(socket, 'capture-pane', '-p', '-t', 'e2e');
      const m = /FBW-EXIT=(\d+)/.exec(screen);
      if (m) return { screen: screen.slice(0, m.index).trimEnd(), exit: Number(m[1]) };
    }
    throw new Error(`fbw did not finish within 120 s; screen:\n${tmux(socket, 'capture-pane', '-p', '-t', 'e2e')}`);
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    if (socketPath) rmSync(socketPath, { force: true });
  }
}

/** A small real workflow: three local model folders (real safetensors) resolved by worker processes, two real merges of them, and the report. */
async function workflow(dir: string): Promise<{ file: string; stages: string[] }> {
  const base = await makeModelDir(path.join(dir, 'models/base'), 1);
  const a = await makeModelDir(path.join(dir, 'models/a'), 2);
  const b = await makeModelDir(path.join(dir, 'models/b'), 3);
  const mergeInputs = [{ stage: 'model.base', role: 'base' }, { stage: 'model.a', role: 'model' }, { stage: 'model.b', role: 'model' }];
  const g: Graph = { file: path.join(dir, 'small.fbw'), stages: [
    pretrained('model.base', base), pretrained('model.a', a), pretrained('model.b', b),
    stage('merge.average', 'merge', 'average', {}, mergeInputs),
    stage('merge.task_arithmetic', 'merge', 'task_arithmetic', { scaling_factor: 0.3 }, mergeInputs),
    stage('report', 'report', 'report', {}, []),
  ] };
  const file = path.join(dir, 'small.json');
  writeFileSync(file, JSON.stringify(g));
  return { file, stages: g.stages.map((s) => s.id) };
}

if (!haveTmux) {
  test('e2e under tmux (skipped: tmux is not installed; `apt-get install tmux`)', () => {});
} else {
  test('fbw run in a terminal on a training workflow (.fbw): the training stage reaches its last step, loss curve shown', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbw-e2e-'));
    try {
      // tiny contrastive pretraining from random init on a synthetic task: real tensors, a real training loop
      writeFileSync(path.join(dir, 'train.fbw'), 'pretrain clip-tiny on [synth_shapes] contrastive(num_steps=4, batch_size=8)\n');
      const r = await runInTerminal(dir, ['run', 'train.fbw', '--devices', 'cpu:1']);
      assert.is(r.exit, 0, r.screen);
      const lines = r.screen.split('\n');
      const rows = lines.filter((l) => /^[✔≡▶·✖⊘] [A-Za-z]/.test(l));
      assert.is(rows.length, 2, r.screen);
      for (const row of rows) assert.match(row, /^✔ .*done in \d/);
      const train = rows.find((l) => l.includes('pretrain'));
      assert.ok(train, r.screen);
      assert.match(train!, /\s4\/4\s+\d+(\.\d+)?\s+\d+\.\d%\s+[▁▂▃▄▅▆▇█]{2,4}\s+done in/);
      assert.ok(lines.some((l) => /^✔ 2 done\s+≡ 0 cached\s+▶ 0 running\s+· 0 queued\s+✖ 0 failed\s+finished ok in /.test(l)), r.screen);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fbw run in a terminal: every stage done, then every stage cached on the second run', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fbw-e2e-'));
    try {
      const wf = await workflow(dir);
      const store = path.join(dir, 'store');
      const first = await runInTerminal(dir, ['run', wf.file, '--store', store, '--devices', 'cpu:2']);
      assert.is(first.exit, 0, first.screen);
      const lines = first.screen.split('\n');
      assert.match(lines[0]!, /^fbw run .*small\.fbw\s+run \d{8}-\d{6}-[0-9a-f]{4}$/);
      for (const id of wf.stages) {
        const row = lines.find((l) => l.startsWith(`✔ ${id} `));
        assert.ok(row, `no done row for ${id}:\n${first.screen}`);
        assert.match(row!, /done in \d/);
      }
      assert.ok(lines.some((l) => new RegExp(`^✔ ${wf.stages.length} done\\s+≡ 0 cached\\s+▶ 0 running\\s+· 0 queued\\s+✖ 0 failed\\s+finished ok in `).test(l)), first.screen);
      // the finished screen names the HTML report (wrapped after a / when long), not report.json
      assert.match(first.screen.replace(/\/\n\s+/g, '/'), /\nreport \S+\/report\/report\.html$/);

      const second = await runInTerminal(dir, ['run', wf.file, '--store', store]);
      assert.is(second.exit, 0, second.screen);
      for (const id of wf.stages) assert.ok(second.screen.split('\n').some((l) => l.startsWith(`≡ ${id} `) && l.endsWith('cached')), `${id} not cached:\n${second.screen}`);
      assert.match(second.screen, new RegExp(`✔ 0 done\\s+≡ ${wf.stages.length} cached\\s+▶ 0 running\\s+· 0 queued\\s+✖ 0 failed\\s+finished ok in `));

      // a narrow terminal drops columns instead of wrapping
      const narrow = await runInTerminal(dir, ['run', wf.file, '--store', store], 50);
      assert.is(narrow.exit, 0, narrow.screen);
      for (const l of narrow.screen.split('\n')) assert.ok(Array.from(l).length <= 50, l);
      assert.match(narrow.screen, new RegExp(`^✔0 ≡${wf.stages.length} ▶0 ·0 ✖0 ok in `, 'm'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
