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

const dir = () => mkdtempSync(join(tmpdir(), 'fbw-formats-'));
const stage = { id: 'm', kind: 'pretrained', method: 'local', params: { path: 'x' }, inputs: [], output: 'model', label: 'm' };

test('a run record round-trips; a damaged one is a PersistedFileInvalid naming the file and the field', () => {
  const store = new Store(dir()).init();
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

test.run();
