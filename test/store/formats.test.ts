// Persisted JSON is read through one schema per format: a damaged or foreign file is one named
// error that says which file and what is wrong (issue 11), and what fbw writes reads back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/Store.js';
import { readJournal, readRunRecord, writeRunRecord, JournalLineInvalid } from '../../src/store/journal.js';
import { loadWorkflow } from '../../src/plan/loadWorkflow.js';
import { readLatestCheckpoint } from '../../src/ml/finetune/checkpoint.js';
import { PersistedFileInvalid } from '../../src/util/jsonFormat.js';
import { rememberStore, rememberedStore, storeIndexFile } from '../../src/store/locateStore.js';
import { FileHashCache } from '../../src/plan/modelContentHash.js';
import { hashFileSync } from '../../src/store/manifest.js';
import { reportFromJson } from '../../src/report/reportJson.js';
import { readMetricsSync, ReportInputError } from '../../src/report/reportInputs.js';
import { fromWorkerFormat, stageJobFormat } from '../../src/protocol/stageJob.js';
import { EventsTail, readExitCode, readStoreCheckCache } from '../../src/executors/slurm/jobFiles.js';
import { replayOf } from '../../src/ui/pastRun.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempStore } from '../shared/helpers.js';

const dir = () => mkdtempSync(join(tmpdir(), 'fbw-formats-'));
const stage = { id: 'm', kind: 'pretrained', method: 'local', params: { path: 'x' }, inputs: [], output: 'model', label: 'm' };

test('a run record round-trips; a damaged one is a PersistedFileInvalid naming the file and the field', () => {
  const store = tempStore();
  const rec = { graph: { file: '/w/g.fbw', stages: [stage] }, keys: { m: 'k' }, argv: ['run', 'g.fbw'], cwd: '/w', devices: ['cpu'] };
  writeRunRecord(store, 'r1', rec as never);
  const back = readRunRecord(store, 'r1');
  assert.equal({ graph: back.graph, keys: back.keys, argv: back.argv, cwd: back.cwd, devices: back.devices }, rec);
  mkdirSync(store.runDir('r2'));
  writeFileSync(join(store.runDir('r2'), 'graph.json'), JSON.stringify({ ...rec, graph: { stages: [{ ...stage, kind: 'bogus' }] } }));
  assert.throws(() => readRunRecord(store, 'r2'), (e: unknown) => e instanceof PersistedFileInvalid && /r2\/graph\.json: not a valid run record \(\/graph\/stages\/0\/kind must be equal to one of the allowed values\)/.test((e as Error).message));
});

test('a user-supplied graph missing a stage field fails with one located line, exit 1', async () => {
  const d = dir();
  writeFileSync(join(d, 'g.json'), JSON.stringify({ stages: [{ ...stage, id: undefined }] }));
  const r = await loadWorkflow('g.json', d);
  assert.ok(!r.ok);
  if (!r.ok) {
    assert.is(r.exitCode, 1);
    assert.match(r.message, /^g\.json: not a valid compiled graph \(.*stages\/0 must have required property 'id'\); expected a compiled graph/);
    assert.not.match(r.message, /\n/);
  }
  writeFileSync(join(d, 'ok.json'), JSON.stringify({ stages: [stage] }));
  assert.ok((await loadWorkflow('ok.json', d)).ok);
});

test('a journal line that is not a run event names its line', () => {
  const d = dir();
  writeFileSync(join(d, 'journal.jsonl'), `${JSON.stringify({ t: 1, run: 'r', event: 'queued', stage: 's', key: 'k' })}\n${JSON.stringify({ t: 2, run: 'r', event: 'exploded' })}\n${JSON.stringify({ t: 3, run: 'r', event: 'finished' })}\n`);
  assert.throws(() => readJournal(join(d, 'journal.jsonl')), (e: unknown) => e instanceof JournalLineInvalid && /journal\.jsonl:2: not a run event: \/event must be equal to one of the allowed values/.test((e as Error).message));
});

test('a checkpoint whose state.json does not fit its schema is skipped with the reason', async () => {
  const d = dir();
  mkdirSync(join(d, 'ckpt-000000010'), { recursive: true });
  writeFileSync(join(d, 'ckpt-000000010', 'state.json'), JSON.stringify({ version: 1, runId: 'r', step: 'ten' }));
  const lines: string[] = [];
  assert.is(await readLatestCheckpoint(d, 'r', (l) => lines.push(l)), undefined);
  assert.match(lines.join('\n'), /skipping unreadable checkpoint .*ckpt-000000010: .*state\.json: not a valid checkpoint state/);
});

test('a damaged store index (stores.json) is ignored and replaced, never a TypeError', () => {
  const d = dir();
  const env = { FBW_STATE_DIR: d };
  writeFileSync(storeIndexFile(env), JSON.stringify([{ cwd: 7, store: null }]));
  assert.is(rememberedStore('/w', env), undefined);
  const store = new Store(join(d, 'store')).init();
  rememberStore('/w', store.root, env);
  assert.is(rememberedStore('/w', env), store.root);
  writeFileSync(storeIndexFile(env), '{"torn');
  assert.is(rememberedStore('/w', env), undefined);
});

test('an ill-typed file-hash cache is rebuilt: the hash is computed from the file', () => {
  const d = dir();
  const f = join(d, 'w.bin');
  writeFileSync(f, 'weights');
  writeFileSync(join(d, 'hashes.json'), JSON.stringify({ [f]: { stamp: 1, sha256: ['x'] } }));
  assert.is(new FileHashCache(join(d, 'hashes.json')).hash(f), hashFileSync(f).sha256);
});

test('an ill-typed verified-artifact cache makes the store re-verify, not crash', () => {
  const store = tempStore();
  mkdirSync(join(store.root, 'cache'), { recursive: true });
  writeFileSync(join(store.root, 'cache', 'verified.json'), JSON.stringify({ k: { stamp: 3, files: 'all' } }));
  const v = store.verify('0'.repeat(64));
  assert.is(v.ok, false);
});

test('report.json that is not a report is a PersistedFileInvalid naming the file', () => {
  assert.throws(() => reportFromJson('{"rows": 3}', '/r/report.json'), (e: unknown) => e instanceof PersistedFileInvalid && /\/r\/report\.json: not a valid report\.json \(\/rows must be array\)/.test((e as Error).message));
  assert.throws(() => reportFromJson('{"rows": [', '/r/report.json'), (e: unknown) => e instanceof PersistedFileInvalid && /not JSON/.test((e as Error).message));
});

test('an ill-typed metrics.json is a ReportInputError naming the file', () => {
  const d = dir();
  writeFileSync(join(d, 'metrics.json'), JSON.stringify({ task: 'mnist', row: 'r', accuracy: 'high', loss: 0.1, n: 3 }));
  assert.throws(() => readMetricsSync(join(d, 'metrics.json')), (e: unknown) => e instanceof ReportInputError && /metrics\.json.*"accuracy" must be a fraction/.test((e as Error).message));
});

test('a worker job file and worker messages are checked against their schemas', () => {
  const job = { run: 'r', stage, key: 'k', attempt: 1, inputs: {}, outDir: '/o', checkpointDir: '/c', device: 'cpu', logFile: '/l', workflowDir: '/w' };
  assert.equal(stageJobFormat.parse(JSON.stringify(job), 'job.json'), job);
  assert.throws(() => stageJobFormat.parse(JSON.stringify({ ...job, attempt: 'one' }), '/j/job.json'), (e: unknown) => e instanceof PersistedFileInvalid && /\/j\/job\.json: not a valid stage job \(\/attempt must be integer\)/.test((e as Error).message));
  assert.equal(fromWorkerFormat.parse('{"type":"checkpointed","step":4}', 'e'), { type: 'checkpointed', step: 4 });
  assert.throws(() => fromWorkerFormat.parse('{"type":"checkpointed","step":"4"}', 'e'), (e: unknown) => e instanceof PersistedFileInvalid);
  assert.throws(() => fromWorkerFormat.parse('{"type":"exploded"}', 'e'), (e: unknown) => e instanceof PersistedFileInvalid);
});

test('the standalone worker with a damaged job file exits 1 with an error message naming the file', () => {
  const d = dir();
  writeFileSync(join(d, 'job.json'), JSON.stringify({ run: 'r', stage }));
  const worker = fileURLToPath(new URL('../../src/devices/worker.js', import.meta.url));
  const r = spawnSync(process.execPath, [worker, join(d, 'job.json'), join(d, 'events.jsonl')], { encoding: 'utf8' });
  assert.is(r.status, 1);
  assert.match(r.stderr, /job\.json: not a valid stage job \(the top level must have required property 'key'\)/);
  assert.not.match(r.stderr, /at .*\.js:\d+/);
  const [line] = readFileSync(join(d, 'events.jsonl'), 'utf8').trim().split('\n');
  const m = fromWorkerFormat.parse(line!, 'events.jsonl');
  assert.ok(m.type === 'error' && m.error.name === 'PersistedFileInvalid');
});

test("a SLURM job's events.jsonl: a torn line is skipped, an ill-typed one becomes the stage's error naming the file", () => {
  const d = dir();
  const f = join(d, 'events.jsonl');
  writeFileSync(f, '{"type":"progress","progress":{"step":1,"total":2}}\n{"type":"do\n{"type":"done","metrics":{"accuracy":"high"}}\n');
  const got = new EventsTail(f).read();
  assert.is(got.length, 2);
  assert.is(got[0]!.type, 'progress');
  const e = got[1]!;
  assert.ok(e.type === 'error' && /events\.jsonl: not a valid worker message/.test(e.error.message) && !e.error.transient);
});

test("a SLURM job's exit file and the shared-store cache read through their schemas", () => {
  const d = dir();
  assert.is(readExitCode(d), undefined);
  writeFileSync(join(d, 'exit'), '0\n');
  assert.is(readExitCode(d), 0);
  writeFileSync(join(d, 'exit'), 'garbage\n');
  assert.is(readExitCode(d), undefined);
  writeFileSync(join(d, 'shared.json'), JSON.stringify({ fsType: 'nfs', network: 'yes', node: 'n1', jobId: '3', t: 1 }));
  assert.is(readStoreCheckCache(join(d, 'shared.json')), undefined);
  writeFileSync(join(d, 'shared.json'), JSON.stringify({ fsType: 'nfs', network: true, node: 'n1', jobId: '3', t: 1 }));
  assert.equal(readStoreCheckCache(join(d, 'shared.json')), { fsType: 'nfs', network: true, node: 'n1', jobId: '3', t: 1 });
});

test('a run record whose argv is not a list is not a replay, not a TypeError', () => {
  const store = tempStore();
  mkdirSync(store.runDir('r3'), { recursive: true });
  writeFileSync(join(store.runDir('r3'), 'graph.json'), JSON.stringify({ graph: { stages: [stage] }, keys: {}, argv: 'replay x', cwd: '/w', devices: [] }));
  assert.is(replayOf(store.root, 'r3'), undefined);
  writeRunRecord(store, 'r4', { graph: { stages: [stage] }, keys: {}, argv: ['replay', 'r1'], cwd: '/w', devices: [] } as never);
  assert.is(replayOf(store.root, 'r4'), 'r1');
});

test.run();
