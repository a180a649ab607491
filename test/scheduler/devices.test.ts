import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseDevices, slotRequest, deviceEnv, DevicesInvalid, DeviceUnavailable } from '../../src/devices/deviceSlots.js';
import { availableParallelism } from 'node:os';
import { runGraph } from '../../src/scheduler/runGraph.js';
import { tempDir, makeModelDir, pretrained, stage, eventsOf } from './helpers.js';

test('--devices parses into slots; bad specs say what is expected', () => {
  assert.equal(parseDevices('cpu:2,gpu:0,gpu:1').map((s) => s.id), ['cpu#1', 'cpu#2', 'gpu:0', 'gpu:1']);
  assert.equal(parseDevices('cpu').map((s) => s.device), ['cpu']);
  assert.throws(() => parseDevices('tpu:1'), (e: unknown) => e instanceof DevicesInvalid && /'tpu:1' is not cpu:N or gpu:K/.test((e as Error).message));
  assert.throws(() => parseDevices('gpu:0,gpu:0'), /listed twice/);
  assert.throws(() => parseDevices('cpu:0'), /no CPU slots/);
});

test('CPU slots share the cores: cpu:1 gets every core, cpu:<cores> one each, threads=T overrides', () => {
  const cores = availableParallelism();
  const threadsOf = (spec: string) => {
    const slots = parseDevices(spec);
    const cpu = slots.filter((s) => s.group === 'cpu');
    return deviceEnv([cpu[0]!], cpu.length, {})['FBW_THREADS'];
  };
  assert.is(threadsOf('cpu:1'), String(cores));
  assert.is(threadsOf(`cpu:${cores}`), '1');
  assert.is(threadsOf(`cpu:${cores * 2}`), '1');
  assert.is(threadsOf('cpu:1,threads=3'), '3');
  assert.is(threadsOf('threads=2,cpu:4'), '2');
  assert.is(deviceEnv(parseDevices('cpu:1'), 1, { FBW_THREADS: '5' })['FBW_THREADS'], '5'); // the user's own setting stays
  assert.is(deviceEnv(parseDevices('cpu:1,threads=2'), 1, { FBW_THREADS: '5' })['FBW_THREADS'], '2');
  assert.is(deviceEnv(parseDevices('gpu:0'), 0, {})['FBW_THREADS'], undefined);
  assert.throws(() => parseDevices('cpu:1,threads=0'), (e: unknown) => e instanceof DevicesInvalid && /'threads=0' needs a whole number of threads ≥ 1/.test((e as Error).message));
  assert.throws(() => parseDevices('cpu:1,threads=x'), /needs a whole number/);
});

test('a stage goes to the slot group its hint and kind ask for', () => {
  const slots = parseDevices('cpu:1,gpu:0,gpu:1');
  assert.equal(slotRequest(stage('f', 'finetune', 'full', {}), slots), { group: 'gpu', count: 1 });
  assert.equal(slotRequest(stage('m', 'merge', 'ties', {}), slots), { group: 'cpu', count: 1 });
  assert.equal(slotRequest(stage('f', 'finetune', 'full', {}, [], { device: 'gpu:1' }), slots), { group: 'gpu', count: 1, prefer: 'gpu:1' });
  assert.equal(slotRequest(stage('f', 'finetune', 'full', {}, [], { devices: 2 }), slots), { group: 'gpu', count: 2 });
  assert.throws(() => slotRequest(stage('f', 'finetune', 'full', {}, [], { device: 'gpu' }), parseDevices('cpu:2')), (e: unknown) => e instanceof DeviceUnavailable && /asks for gpu, but this run has only cpu#1, cpu#2/.test((e as Error).message));
});

test('a worker is bound to its device through its environment', async () => {
  const dir = tempDir();
  const a = await makeModelDir(join(dir, 'a'), 1);
  const b = await makeModelDir(join(dir, 'b'), 2);
  const r = await runGraph({ file: join(dir, 'w.fbw'), stages: [pretrained('model.a', a, { device: 'gpu:1' }), pretrained('model.b', b, { device: 'cpu' })] }, { devices: 'cpu:1,gpu:0,gpu:1' });
  assert.is(r.status, 'ok');
  const started = eventsOf(r.journal, 'started');
  const sa = started.find((e) => e.stage === 'model.a')!, sb = started.find((e) => e.stage === 'model.b')!;
  assert.is(sa.device, 'gpu:1');
  assert.is(sb.device, 'cpu');
  assert.match(readFileSync(sa.log, 'utf8'), /FBW_DEVICE=gpu:1 CUDA_VISIBLE_DEVICES='1'/);
  assert.match(readFileSync(sb.log, 'utf8'), /FBW_DEVICE=cpu CUDA_VISIBLE_DEVICES=''/);
  assert.match(readFileSync(sb.log, 'utf8'), new RegExp(`FBW_THREADS=${availableParallelism()} `)); // cpu:1: the one CPU worker gets every core
});

test.run();
