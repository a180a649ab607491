// Jobs read inputs from and commit outputs into the store, so the store must be a filesystem the
// compute nodes share with the head. Checked two ways: the filesystem type (statfs), and a probe
// job that reads a file the head wrote and writes one the head reads back.

import { mkdir, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { SlurmClient } from './SlurmClient.js';
import type { SlurmResources } from './resources.js';
import { renderSbatchScript } from './sbatchScript.js';
import { readLogTail } from './logTail.js';
import { StoreNotShared } from './errors.js';

/** statfs magic numbers (linux/magic.h and vendors') of filesystems worth naming. */
const FS_TYPES: ReadonlyMap<number, readonly [name: string, network: boolean]> = new Map([
  [0xef53, ['ext2/3/4', false]], [0x58465342, ['xfs', false]], [0x9123683e, ['btrfs', false]],
  [0x01021994, ['tmpfs', false]], [0x794c7630, ['overlayfs', false]], [0x2fc12fc1, ['zfs', false]],
  [0x6969, ['nfs', true]], [0x0bd00bd0, ['lustre', true]], [0x47504653, ['gpfs', true]],
  [0x19830326, ['beegfs', true]], [0xff534d42, ['cifs', true]], [0xfe534d42, ['smb2', true]],
  [0x00c36400, ['ceph', true]], [0x65735546, ['fuse', true]], [0x6b414653, ['afs', true]],
  [0xaad7aaea, ['panfs', true]], [0x013111a8, ['ibrix', true]],
]);

/** The filesystem a path lives on: its name and whether it is a network filesystem. */
export async function filesystemOf(path: string): Promise<{ readonly type: string; readonly network: boolean }> {
  const s = await statfs(path);
  const t = FS_TYPES.get(Number(s.type));
  return t ? { type: t[0], network: t[1] } : { type: `0x${Number(s.type).toString(16)}`, network: false };
}

/** What the probe proved: the filesystem type and the node that saw the head's file. */
export interface SharedStoreCheck {
  readonly fsType: string;
  readonly network: boolean;
  /** node that ran the probe job */
  readonly node: string;
  readonly jobId: string;
}

/** How the probe job is submitted and how long to wait for it. */
export interface SharedStoreOptions {
  /** partition/account/qos/extra for the probe job; CPUs, memory and GPUs are set small */
  readonly resources?: Partial<SlurmResources>;
  /** give up waiting for the probe after this long (default 10 minutes: a busy queue) */
  readonly timeoutMs?: number;
  readonly pollMs?: number;
}

/** Prove the store is shared: a job on a compute node must see the head's file and vice versa. */
export async function checkSharedStore(store: string, client: SlurmClient, opts: SharedStoreOptions = {}): Promise<SharedStoreCheck> {
  const root = resolve(store);
  await mkdir(join(root, 'tmp'), { recursive: true });
  const fs = await filesystemOf(root);
  const nonce = randomBytes(8).toString('hex');
  const dir = join(root, 'tmp', `slurm-probe-${nonce}`);
  await mkdir(dir, { recursive: true });
  const question = join(dir, 'question');
  const answer = join(dir, 'answer');
  await writeFile(question, nonce + '\n');
  const r = opts.resources ?? {};
  const script = renderSbatchScript({
    jobName: 'fbw:store-probe',
    stdout: join(dir, 'job.out'), stderr: join(dir, 'job.err'),
    cwd: '/',
    resources: { cpusPerTask: 1, gpus: 0, requeue: false, extra: r.extra ?? [], mem: '100M', time: '00:05:00',
      ...(r.partition ? { partition: r.partition } : {}), ...(r.account ? { account: r.account } : {}), ...(r.qos ? { qos: r.qos } : {}) },
    command: ['/bin/sh', '-c', `read q < "$1" && printf '%s %s\\n' "$q" "$(hostname -s)" > "$2.tmp" && mv "$2.tmp" "$2"`, 'probe', question, answer],
  });
  const where = `${root} (${fs.type}${fs.network ? ', a network filesystem' : ', a local filesystem'} on ${hostname()})`;
  let jobId: string;
  try {
    jobId = await client.submit(script);
  } catch (e) {
    // sbatch refuses an --output path it cannot create only on some sites; report the cause
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  const pollMs = opts.pollMs ?? 500;
  try {
    for (;;) {
      const got = await readFile(answer, 'utf8').catch(() => undefined);
      if (got !== undefined) {
        const [seen, node] = got.trim().split(' ');
        if (seen !== nonce) throw new StoreNotShared(where, `the probe job ${jobId} read '${seen}' instead of '${nonce}' from ${question}`);
        return { fsType: fs.type, network: fs.network, node: node ?? '?', jobId };
      }
      const st = (await client.poll([jobId])).get(jobId);
      if (st && st.phase !== 'queued' && st.phase !== 'running') {
        // the answer may land a moment after the job ends (NFS attribute caching): look once more
        await new Promise((res) => setTimeout(res, pollMs));
        if (await readFile(answer, 'utf8').catch(() => undefined) !== undefined) continue;
        const err = join(dir, 'job.err');
        const tail = (await readLogTail(err, 5)).join(' | ');
        throw new StoreNotShared(where, `the probe job ${jobId} ended ${st.state || 'unseen'} on node ${st.node ?? '?'} without the head seeing its answer file; ${
          tail ? `job stderr: ${tail}` : `its stderr (written on the node to ${err}) is not visible on this host either`}`);
      }
      if (Date.now() > deadline) {
        await client.cancel([jobId]);
        throw new StoreNotShared(where, `the probe job ${jobId} did not finish within ${Math.round((opts.timeoutMs ?? 600_000) / 1000)} s (state ${st?.state ?? 'unknown'}${st?.reason ? `, ${st.reason}` : ''})`);
      }
      await new Promise((res) => setTimeout(res, pollMs));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
