// The typed SLURM client against a real single-node cluster started by the test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, slurmUnavailable, type Cluster } from './cluster.js';
import { waitJob, finished } from './helpers.js';
import { createSlurmClient, renderSbatchScript, readLogTail, checkSharedStore, StoreNotShared, type SlurmClient, type SlurmResources } from '../../src/executors/slurm/index.js';

const skip = slurmUnavailable();
let cluster: Cluster;
let client: SlurmClient;
const small: SlurmResources = { cpusPerTask: 1, gpus: 0, mem: '100M', requeue: false, extra: [] };

function script(name: string, command: readonly string[], res: SlurmResources = small, exitFile?: string): string {
  const d = join(cluster.dir, 'jobs');
  return renderSbatchScript({ jobName: name, stdout: join(d, `${name}.out`), stderr: join(d, `${name}.err`), cwd: d, resources: res, command, ...(exitFile ? { exitFile } : {}) });
}

test.before(async () => {
  if (skip) return;
  cluster = await startCluster({ cpus: 16, gpus: 2, nodePrivate: true });
  client = createSlurmClient({ env: cluster.env });
});
test.after(async () => { if (cluster) await cluster.stop(); });

if (skip) {
  test('slurm client (skipped)', () => { console.log(`  skipped: ${skip}`); });
} else {
  test('a job runs on the node and its exit code is seen', async () => {
    const ok = await client.submit(script('ok', ['/bin/sh', '-c', 'echo hi']));
    const bad = await client.submit(script('bad', ['/bin/sh', '-c', 'exit 3'], small, join(cluster.dir, 'jobs', 'bad.exit')));
    const s1 = await waitJob(client, ok, finished);
    const s2 = await waitJob(client, bad, finished);
    assert.is(s1.phase, 'completed');
    assert.is(s1.exitCode, 0);
    assert.is(s1.node, cluster.node);
    assert.is(readFileSync(join(cluster.dir, 'jobs', 'ok.out'), 'utf8').trim(), 'hi');
    assert.is(s2.phase, 'failed');
    assert.is(s2.state, 'FAILED');
    assert.is(s2.exitCode, 3);
    // the exit file survives the controller forgetting the job
    assert.is(readFileSync(join(cluster.dir, 'jobs', 'bad.exit'), 'utf8').trim(), '3');
  });

  test('a --gres=gpu:1 job sees exactly one device in CUDA_VISIBLE_DEVICES, gpu:2 sees two', async () => {
    const one = await client.submit(script('gpu1', ['/bin/sh', '-c', 'echo "$CUDA_VISIBLE_DEVICES"'], { ...small, gpus: 1 }));
    const two = await client.submit(script('gpu2', ['/bin/sh', '-c', 'echo "$CUDA_VISIBLE_DEVICES"'], { ...small, gpus: 2 }));
    assert.is((await waitJob(client, one, finished)).phase, 'completed');
    assert.is((await waitJob(client, two, finished)).phase, 'completed');
    const d1 = readFileSync(join(cluster.dir, 'jobs', 'gpu1.out'), 'utf8').trim().split(',').filter(Boolean);
    const d2 = readFileSync(join(cluster.dir, 'jobs', 'gpu2.out'), 'utf8').trim().split(',').filter(Boolean);
    assert.is(d1.length, 1);
    assert.is(d2.length, 2);
    assert.match(readFileSync(join(cluster.dir, 'jobs', 'gpu1.err'), 'utf8'), /gpus=\d/);
  });

  test('cancel stops a running job and its process', async () => {
    const pidFile = join(cluster.dir, 'jobs', 'sleep.pid');
    const id = await client.submit(script('sleep', ['/bin/sh', '-c', `echo $$ > ${pidFile}; sleep 300`]));
    await waitJob(client, id, (s) => s.phase === 'running' && existsSync(pidFile));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await client.cancel([id]);
    const s = await waitJob(client, id, finished);
    assert.is(s.phase, 'cancelled');
    let stat = '';
    for (let i = 0; i < 300; i++) {
      try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { stat = ''; }
      if (stat === '' || / [ZX] /.test(stat)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(stat === '' || / [ZX] /.test(stat), `job process ${pid} still alive: ${stat}`);
    await client.cancel([id]); // cancelling a finished job is not an error
  });

  test("a failing job's stderr tail can be read", async () => {
    const id = await client.submit(script('fail', ['/bin/sh', '-c', 'for i in 1 2 3 4 5; do echo "line $i" >&2; done; echo "boom: weights missing" >&2; exit 1']));
    const s = await waitJob(client, id, finished);
    assert.is(s.phase, 'failed');
    assert.is(s.stderr, join(cluster.dir, 'jobs', 'fail.err'));
    const t = await readLogTail(s.stderr!, 3);
    assert.equal(t, ['line 4', 'line 5', 'boom: weights missing']);
  });

  test('paths with spaces reach the job intact (log file and working directory)', async () => {
    const d = join(cluster.dir, 'jobs', 'a folder');
    mkdirSync(d, { recursive: true });
    const id = await client.submit(renderSbatchScript({ jobName: 'space', stdout: join(d, 'out log'), stderr: join(d, 'out log'), cwd: d, resources: small, command: ['/bin/sh', '-c', 'pwd'] }));
    assert.is((await waitJob(client, id, finished)).phase, 'completed');
    assert.match(readFileSync(join(d, 'out log'), 'utf8'), `${d}\n`);
  });

  test('unknown job ids come back as unknown, not as an error', async () => {
    const m = await client.poll(['999999']);
    assert.is(m.get('999999')!.phase, 'unknown');
  });

  test('the store check passes on a folder the node shares (single node: the same disk)', async () => {
    const r = await checkSharedStore(join(cluster.dir, 'store'), client, { pollMs: 100, timeoutMs: 120_000 });
    assert.is(r.node, cluster.node);
    assert.ok(r.fsType.length > 0);
  });

  test('the store check fails clearly when the node does not see the store', async () => {
    if (!cluster.privateDir) { console.log('  skipped: unshare -m is not permitted here, so no node can be made blind to a folder'); return; }
    const store = join(cluster.privateDir!, 'store');
    try {
      await checkSharedStore(store, client, { pollMs: 100, timeoutMs: 120_000 });
      assert.unreachable('the check passed');
    } catch (e) {
      assert.instance(e, StoreNotShared);
      const m = (e as Error).message;
      assert.match(m, `the store ${store} (`);
      assert.match(m, /probe job \d+ ended FAILED on node /);
      assert.match(m, /its stderr .* is not visible on this host either/);
      assert.match(m, /hint: put the store on a filesystem every node mounts/);
    }
  });
}

test.run();
