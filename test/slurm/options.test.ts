// Job-state mapping, scontrol/squeue parsing, batch scripts, resources and options (no cluster needed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Stage } from '../../src/compile/ir.js';
import {
  jobPhase, SLURM_STATES, parseScontrolLine, parseSqueue, renderSbatchScript, stageResources,
  validateSlurmOptions, parseSlurmFlags, SlurmConfigInvalid, shQuote, readLogTail, executorFromArgs,
} from '../../src/executors/slurm/index.js';

const stage = (over: Partial<Stage> = {}): Stage => ({ id: 'finetune.lora.mnist', kind: 'finetune', method: 'lora', task: 'mnist', params: {}, inputs: [], output: 'model', label: 'lora on mnist', ...over });

test('every SLURM state maps to a phase; suffixes and unknown strings are handled', () => {
  for (const s of SLURM_STATES) assert.is.not(jobPhase(s), 'unknown', s);
  assert.is(jobPhase('CANCELLED by 0'), 'cancelled');
  assert.is(jobPhase('PENDING'), 'queued');
  assert.is(jobPhase('COMPLETING'), 'running');
  assert.is(jobPhase('OUT_OF_MEMORY'), 'failed');
  assert.is(jobPhase('PREEMPTED'), 'preempted');
  assert.is(jobPhase('REQUEUED'), 'queued');
  assert.is(jobPhase('WHATEVER'), 'unknown');
});

test('scontrol -o lines parse, including values with spaces', () => {
  const kv = parseScontrolLine('JobId=12 JobName=fbw:x UserId=root(0) JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 Comment=two words NodeList=vm StdErr=/tmp/a b.err Power=');
  assert.is(kv.get('JobId'), '12');
  assert.is(kv.get('ExitCode'), '3:0');
  assert.is(kv.get('Comment'), 'two words');
  assert.is(kv.get('StdErr'), '/tmp/a b.err');
  assert.is(kv.get('Power'), '');
  const q = parseSqueue('7|RUNNING|vm|None\n8|PENDING||Resources\n');
  assert.equal(q.map((s) => [s.id, s.phase, s.node ?? '-', s.reason ?? '-']), [['7', 'running', 'vm', '-'], ['8', 'queued', '-', 'Resources']]);
});

test('resources come from the stage and the options; a gpu hint becomes --gres=gpu:k', () => {
  const r0 = stageResources(stage(), {});
  assert.is(r0.gpus, 0);
  assert.is(r0.requeue, true);
  const r1 = stageResources(stage({ device: 'gpu' }), { partition: 'gpu', account: 'lab', qos: 'high', sbatch: ['--constraint=a100'], kinds: { finetune: { cpus: 8, mem: '32G', time: '12:00:00' } } });
  assert.equal({ ...r1 }, { cpusPerTask: 8, gpus: 1, requeue: true, extra: ['--constraint=a100'], mem: '32G', time: '12:00:00', partition: 'gpu', account: 'lab', qos: 'high' });
  assert.is(stageResources(stage({ device: 'gpu', devices: 2 }), {}).gpus, 2);
  assert.is(stageResources(stage({ device: 'cpu' }), { kinds: { finetune: { gpus: 1 } } }).gpus, 1);
  assert.is(stageResources(stage({ kind: 'eval', device: 'cpu' }), { kinds: { finetune: { gpus: 1 } } }).gpus, 0);
  assert.is(stageResources(stage({ kind: 'eval' }), {}).requeue, false);
});

test('the batch script carries every option and runs under bash -n', () => {
  const text = renderSbatchScript({
    jobName: 'fbw:finetune.lora.mnist', stdout: '/s/o.out', stderr: '/s/o.err', cwd: '/work dir',
    resources: stageResources(stage({ device: 'gpu' }), { partition: 'p1', account: 'a1', qos: 'q1', sbatch: ['--exclusive'], defaults: { time: '01:00:00' } }),
    command: ['node', '/x/fbw.js', "it's"], env: { FBW_STAGE: 'a b' }, setup: ['module load cuda'], exitFile: '/s/exit',
  });
  for (const line of ['#SBATCH --job-name=fbw:finetune.lora.mnist', '#SBATCH --gres=gpu:1', '#SBATCH --partition=p1', '#SBATCH --account=a1',
    '#SBATCH --qos=q1', '#SBATCH --time=01:00:00', '#SBATCH --exclusive', '#SBATCH --requeue', '#SBATCH --cpus-per-task=2', "export FBW_STAGE='a b'", 'module load cuda'])
    assert.ok(text.split('\n').includes(line), `missing: ${line}\n${text}`);
  assert.ok(text.includes(`node /x/fbw.js 'it'\\''s' &`));
  const dir = mkdtempSync(join(tmpdir(), 'fbw-sbatch-'));
  try {
    writeFileSync(join(dir, 'job.sh'), text);
    const r = spawnSync('bash', ['-n', join(dir, 'job.sh')], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
  } finally { rmSync(dir, { recursive: true, force: true }); }
  assert.is(shQuote('plain/path-1.txt'), 'plain/path-1.txt');
  assert.is(shQuote('$HOME'), "'$HOME'");
});

test('the batch script body runs locally: exit status reaches the exit file, env and cwd are set', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-sbatch-'));
  try {
    const text = renderSbatchScript({ jobName: 'x', stdout: 'o', stderr: 'e', cwd: dir, resources: stageResources(stage(), {}),
      command: ['/bin/sh', '-c', 'echo "$FBW_X $(pwd)"; exit 7'], env: { FBW_X: 'v 1' }, exitFile: join(dir, 'exit') });
    writeFileSync(join(dir, 'job.sh'), text);
    const r = spawnSync('bash', [join(dir, 'job.sh')], { encoding: 'utf8', cwd: '/' });
    assert.is(r.status, 7);
    assert.is(r.stdout.trim(), `v 1 ${dir}`);
    assert.is(spawnSync('cat', [join(dir, 'exit')], { encoding: 'utf8' }).stdout.trim(), '7');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('bad options are clear errors with a suggestion', () => {
  const bad = (v: unknown, re: RegExp) => {
    try { validateSlurmOptions(v, 'fbw-slurm.json'); assert.unreachable('accepted'); }
    catch (e) { assert.instance(e, SlurmConfigInvalid); assert.match((e as Error).message, re); }
  };
  bad({ partiton: 'x' }, /unknown key 'partiton'.*did you mean 'partition'/);
  bad({ kinds: { finetun: {} } }, /did you mean 'finetune'/);
  bad({ defaults: { mem: 'lots' } }, /defaults.mem 'lots'/);
  bad({ defaults: { time: 'soon' } }, /defaults.time/);
  bad({ defaults: { cpus: 0 } }, /cpus must be an integer/);
  bad([], /top level/);
  assert.equal(validateSlurmOptions({ partition: 'gpu', kinds: { eval: { mem: '2G' } } }, 'x'), { partition: 'gpu', kinds: { eval: { mem: '2G' } } });
});

test('flags override the config file and leave other arguments alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-slurmcfg-'));
  try {
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ partition: 'cpu', account: 'lab', sbatch: ['--exclusive'] }));
    const { options, rest } = parseSlurmFlags(['wf.fbw', '--slurm-config', 'c.json', '--partition=gpu', '--sbatch', '--constraint=a100', '--leave-jobs', '--json'], dir);
    assert.equal(rest, ['wf.fbw', '--json']);
    assert.is(options.partition, 'gpu');
    assert.is(options.account, 'lab');
    assert.is(options.leaveJobs, true);
    assert.equal(options.sbatch, ['--exclusive', '--constraint=a100']);
    assert.throws(() => parseSlurmFlags(['--slurm-config', 'missing.json'], dir), /cannot read/);
    assert.throws(() => parseSlurmFlags(['--qos'], dir), /--qos needs a value/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('--executor picks the executor; SLURM flags without it are an error; typos get a suggestion', () => {
  const io = { cwd: '/', env: {} };
  const local = executorFromArgs(['wf.fbw', '--devices', 'cpu:2'], io);
  assert.is(local.name, 'local');
  assert.is(local.executor, undefined);
  assert.equal(local.rest, ['wf.fbw', '--devices', 'cpu:2']);
  const slurm = executorFromArgs(['wf.fbw', '--executor=slurm', '--partition', 'gpu', '--leave-jobs', '--json'], io);
  assert.is(slurm.name, 'slurm');
  assert.is(slurm.executor?.name, 'slurm');
  assert.equal(slurm.rest, ['wf.fbw', '--json']);
  assert.throws(() => executorFromArgs(['--executor', 'slrum'], io), /unknown executor 'slrum' — did you mean 'slurm'/);
  assert.throws(() => executorFromArgs(['--partition', 'gpu'], io), /--partition only applies with --executor slurm/);
  assert.throws(() => executorFromArgs(['--executor'], io), /--executor needs a value/);
});

test('log tail: last lines, missing file is empty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-tail-'));
  try {
    writeFileSync(join(dir, 'l'), Array.from({ length: 100 }, (_, i) => `l${i}`).join('\n') + '\n');
    assert.equal(await readLogTail(join(dir, 'l'), 2), ['l98', 'l99']);
    assert.equal(await readLogTail(join(dir, 'nope')), []);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
