// SLURM job ids in the run's event stream, without a cluster: `job` events and `started.job`
// survive the journal, drive the UI state (device column `slurm:<id>@<node>`), the plain lines
// and the terminal view.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRenderer } from '../../src/ui/index.js';
import { PlainLines } from '../../src/ui/plainLines.js';
import { initialRunState, reduceRun, replayRun, jobLabel, type RunState } from '../../src/ui/reduceRun.js';
import { contentWidths, layoutTable } from '../../src/ui/stageRow.js';
import { Journal, readJournal } from '../../src/store/journal.js';
import { runEvent, type RunEvent, type RunEventBody } from '../../src/protocol/events.js';

const run = 'r1';
const ev = (e: RunEventBody): RunEvent => runEvent(run, e, 1_700_000_000_000);
const events: RunEvent[] = [
  ev({ event: 'run', file: 'w.fbw', store: '/s', devices: ['cpu#1', 'cpu#2'], backend: 'native', stages: [{ id: 'finetune.full.mnist', kind: 'finetune', label: 'ft', task: 'mnist', inputs: [] }] }),
  ev({ event: 'queued', stage: 'finetune.full.mnist', key: 'k' }),
  ev({ event: 'job', stage: 'finetune.full.mnist', key: 'k', system: 'slurm', job: '4711', action: 'submitted' }),
  ev({ event: 'job', stage: 'finetune.full.mnist', key: 'k', system: 'slurm', job: '4711', action: 'state', state: 'PENDING', reason: 'Resources' }),
  ev({ event: 'job', stage: 'finetune.full.mnist', key: 'k', system: 'slurm', job: '4711', action: 'state', state: 'RUNNING', node: 'gpu-node-07' }),
  ev({ event: 'started', stage: 'finetune.full.mnist', key: 'k', device: 'gpu:0', attempt: 1, log: '/s/l.log', job: { system: 'slurm', id: '4711', node: 'gpu-node-07' } }),
  ev({ event: 'progress', stage: 'finetune.full.mnist', step: 5, total: 10, loss: 0.5 }),
];

test('job events fold into the stage: device column names the job and node, state and exit code kept', () => {
  let s: RunState = initialRunState;
  s = replayRun(events.slice(0, 3));
  assert.is(s.stages['finetune.full.mnist']!.status, 'queued', 'a submitted job is still queued');
  assert.is(s.stages['finetune.full.mnist']!.device, 'slurm:4711');
  s = replayRun(events);
  const st = s.stages['finetune.full.mnist']!;
  assert.is(st.status, 'running');
  assert.is(st.device, 'slurm:4711@gpu-node-07');
  assert.equal(st.job, { system: 'slurm', id: '4711', node: 'gpu-node-07', state: 'RUNNING' });
  s = reduceRun(s, ev({ event: 'job', stage: 'finetune.full.mnist', key: 'k', system: 'slurm', job: '4711', action: 'state', state: 'COMPLETED', exitCode: 0 }));
  assert.equal(s.stages['finetune.full.mnist']!.job, { system: 'slurm', id: '4711', node: 'gpu-node-07', state: 'COMPLETED', exitCode: 0 });
  // a resubmission (preempted) is a new job: no node until it is placed
  s = reduceRun(s, ev({ event: 'job', stage: 'finetune.full.mnist', key: 'k', system: 'slurm', job: '4712', action: 'resubmitted', reason: 'job 4711 preempted' }));
  assert.is(s.stages['finetune.full.mnist']!.device, 'slurm:4712');
  assert.is(jobLabel({ system: 'slurm', id: '9' }), 'slurm:9');
});

test('the journal keeps job events and started.job (kill -9 safe, one write each)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-jobev-'));
  try {
    const j = new Journal(dir);
    for (const e of events) j.append(e);
    // no close: what a SIGKILLed head leaves behind
    const back = readJournal(j.path);
    assert.equal(back, events);
    j.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('plain lines: started names the job, job events say submitted / state / node / exit code', () => {
  const p = new PlainLines(false);
  const out = [...events, ev({ event: 'job', stage: 'finetune.full.mnist', key: 'k', system: 'slurm', job: '4711', action: 'state', state: 'COMPLETED', node: 'gpu-node-07', exitCode: 0 })].flatMap((e) => p.lines(e));
  const jobLines = out.filter((l) => / job +finetune/.test(l));
  assert.is(jobLines.length, 4, out.join('\n'));
  assert.match(jobLines[0]!, /job +finetune\.full\.mnist job=slurm:4711 action=submitted$/);
  assert.match(jobLines[1]!, /state=PENDING reason=Resources$/);
  assert.match(jobLines[3]!, /job=slurm:4711@gpu-node-07 state=COMPLETED exit=0$/);
  assert.match(out.find((l) => /started/.test(l))!, /started +finetune\.full\.mnist device=gpu:0 job=slurm:4711@gpu-node-07 attempt=1/);
});

test('terminal view: the device column widens for the job label', async () => {
  const s = replayRun(events);
  const layout = layoutTable(120, contentWidths(Object.values(s.stages)));
  assert.is(layout.columns.find((c) => c.id === 'device')!.width, 'slurm:4711@gpu-node-07'.length);
  // local device names keep the narrow column
  assert.is(layoutTable(120, { name: 20, task: 5, device: 3 }).columns.find((c) => c.id === 'device')!.width, 3);
  const chunks: string[] = [];
  const out = Object.assign(new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } }), { columns: 120, rows: 30, isTTY: true });
  const r = createRenderer({ mode: 'tty', out, columns: 120, color: false });
  for (const e of events) r.onEvent(e);
  await new Promise((res) => setTimeout(res, 300));
  await r.close();
  assert.ok(chunks.join('').includes('slurm:4711@gpu-node-07'), 'the row shows job id and node');
});

test.run();
