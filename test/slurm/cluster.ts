// A real single-node SLURM cluster on loopback for the tests: munge with its own key and socket,
// slurmctld + slurmd from a generated slurm.conf (free ports, more CPUs than the machine, fake
// GPUs as character devices), each under setsid; stop() tears everything down, strays included.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';

const BINARIES = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'scancel', 'sinfo'] as const;
const SBIN = ['/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function which(bin: string): string | undefined {
  for (const d of [...(process.env.PATH ?? '').split(':'), ...SBIN]) if (d && existsSync(join(d, bin))) return join(d, bin);
  return undefined;
}

/** Why the cluster cannot start here (a missing binary), or undefined when it can. */
export function slurmUnavailable(): string | undefined {
  const missing = BINARIES.filter((b) => which(b) === undefined);
  return missing.length === 0 ? undefined
    : `SLURM binaries missing (${missing.join(', ')}): apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge`;
}

export interface Cluster {
  /** temp folder holding config, state, logs and (for tests) job files; chmod 755 */
  readonly dir: string;
  readonly conf: string;
  /** environment for SLURM clients (SLURM_CONF set) */
  readonly env: NodeJS.ProcessEnv;
  readonly node: string;
  readonly cpus: number;
  readonly gpus: number;
  /** the fake GPU device files, in gres order */
  readonly gpuFiles: readonly string[];
  /** with `nodePrivate` (where unshare works): a folder the node sees as an empty tmpfs */
  readonly privateDir?: string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** CPUs the node declares (config_overrides lets this exceed the machine); default 16 */
  readonly cpus?: number;
  /** fake GPUs (mknod character devices); default 2 */
  readonly gpus?: number;
  /** run slurmd in its own mount namespace with a tmpfs over <dir>/private, so jobs cannot see
   *  what the head writes there — a real "store not shared" case (needs root and unshare) */
  readonly nodePrivate?: boolean;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const a = s.address(); s.close(() => resolve(typeof a === 'object' && a ? a.port : 0)); });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** /proc state letter of a pid ('Z' zombie, 'R', 'S', ...), undefined if gone. */
function procState(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
  } catch { return undefined; }
}

function alive(pid: number): boolean { const s = procState(pid); return s !== undefined && s !== 'Z' && s !== 'X'; }

/** Pids whose environment carries the marker (daemons, slurmstepd, job processes of this cluster). */
function markedPids(marker: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    const pid = Number(e);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try { if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(marker)) out.push(pid); } catch { /* gone or not ours */ }
  }
  return out;
}

function tail(file: string, n = 15): string {
  try { return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n'); } catch { return '(no log)'; }
}

/** Start the cluster and wait until the node is idle (~1–3 s). */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const why = slurmUnavailable();
  if (why) throw new Error(why);
  const cpus = opts.cpus ?? 16;
  const dir = mkdtempSync('/tmp/fbw-slurm-');
  chmodSync(dir, 0o755);
  const marker = `FBW_SLURM_TEST_CLUSTER=${dir}`;
  const user = userInfo().username;
  const node = hostname().split('.')[0]!;
  const procs: ChildProcess[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`, SLURM_CONF: join(dir, 'slurm.conf'), FBW_SLURM_TEST_CLUSTER: dir };
  for (const k of Object.keys(env)) if (k.startsWith('SLURM_') && k !== 'SLURM_CONF') delete env[k];

  const daemon = (bin: string, args: readonly string[], log: string, privateTmpfs?: string): ChildProcess => {
    const fd = openSync(join(dir, 'log', log), 'a');
    // with privateTmpfs: a private mount namespace with a tmpfs over that folder, then exec the
    // daemon (same pid), so everything it starts sees the tmpfs instead of the head's files
    const [cmd, argv] = privateTmpfs
      ? ['unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs fbw-node-private "$0" && exec "$@"', privateTmpfs, which(bin)!, ...args]]
      : [which(bin)!, args];
    const p = spawn(cmd, argv, { env, detached: true, stdio: ['ignore', fd, fd] }); // detached = setsid
    closeSync(fd);
    p.on('error', () => { /* reported through the readiness wait */ });
    procs.push(p);
    return p;
  };

  let stopped = false;
  const killAllSync = () => {
    for (const p of procs) if (p.pid && alive(p.pid)) { try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const pid of markedPids(marker)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  };
  const onExit = () => { if (!stopped) { killAllSync(); rmSync(dir, { recursive: true, force: true }); } };
  process.once('exit', onExit);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    // cancel the cluster's jobs first, so slurmstepd cleans up the job processes itself
    spawnSync('scancel', ['--user', user], { env, timeout: 10_000 });
    for (let i = 0; i < 20; i++) {
      const q = spawnSync('squeue', ['-h', '-o', '%T'], { env, timeout: 10_000, encoding: 'utf8' });
      if (q.status !== 0 || !/RUNNING|COMPLETING|PENDING|CONFIGURING/.test(q.stdout)) break;
      await sleep(200);
    }
    for (const p of procs) if (p.pid && alive(p.pid)) { try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ } }
    for (let i = 0; i < 30 && procs.some((p) => p.pid !== undefined && alive(p.pid)); i++) await sleep(100);
    killAllSync();
    for (let i = 0; i < 20 && markedPids(marker).some(alive); i++) await sleep(100);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    for (const d of ['munge', 'state', 'spool', 'log', 'jobs']) mkdirSync(join(dir, d), { recursive: true });
    chmodSync(join(dir, 'munge'), 0o755);
    chmodSync(join(dir, 'jobs'), 0o777);
    const key = join(dir, 'munge', 'munge.key');
    const sock = join(dir, 'munge', 'munge.sock');
    const mk = spawnSync(which('mungekey')!, ['-c', '-k', key], { encoding: 'utf8' });
    if (mk.status !== 0) throw new Error(`mungekey failed: ${mk.stderr}`);
    daemon('munged', ['-F', '--force', `--key-file=${key}`, `--socket=${sock}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`,
      `--log-file=${join(dir, 'log', 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'seed')}`], 'munged.out');
    for (let i = 0; i < 300 && !existsSync(sock); i++) await sleep(100);
    if (!existsSync(sock)) throw new Error(`munged did not create ${sock}:\n${tail(join(dir, 'log', 'munged.out'))}`);

    // fake GPUs: character devices (same numbers as /dev/null) that gres.conf hands out
    const gpuFiles: string[] = [];
    for (let i = 0; i < (opts.gpus ?? 2); i++) {
      const f = join(dir, `gpu${i}`);
      const r = spawnSync('mknod', ['-m', '666', f, 'c', '1', '3'], { encoding: 'utf8' });
      if (r.status !== 0) break; // not root: no fake GPUs
      gpuFiles.push(f);
    }
    const gpus = gpuFiles.length;
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    const conf = join(dir, 'slurm.conf');
    writeFileSync(conf, [
      'ClusterName=fbwtest',
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmUser=${user}`, `SlurmdUser=${user}`,
      `SlurmctldPort=${ctldPort}`, `SlurmdPort=${dPort}`,
      'AuthType=auth/munge', `AuthInfo=socket=${sock},cred_expire=5`, 'CredType=cred/munge',
      'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none',
      'SelectType=select/cons_tres', 'SelectTypeParameters=CR_Core_Memory', 'DefMemPerCPU=100',
      'AccountingStorageType=accounting_storage/none', 'JobAcctGatherType=jobacct_gather/none',
      'MailProg=/bin/true', 'SchedulerParameters=batch_sched_delay=0,sched_interval=2', 'DependencyParameters=kill_invalid_depend',
      'MinJobAge=3600', 'KillWait=5', 'ReturnToService=2', 'MpiDefault=none',
      `StateSaveLocation=${join(dir, 'state')}`, `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`, `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`, `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
      'SlurmdParameters=config_overrides',
      ...(gpus > 0 ? ['GresTypes=gpu'] : []),
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=65536${gpus > 0 ? ` Gres=gpu:${gpus}` : ''} State=UNKNOWN`,
      `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      '',
    ].join('\n'));
    writeFileSync(join(dir, 'gres.conf'), gpuFiles.map((f) => `NodeName=${node} Name=gpu File=${f}`).join('\n') + '\n');
    daemon('slurmctld', ['-D', '-f', conf], 'slurmctld.out');
    let privateDir: string | undefined;
    // a private mount namespace needs CAP_SYS_ADMIN (root outside a restricted container)
    const canUnshare = opts.nodePrivate === true && spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs probe /mnt'], { stdio: 'ignore' }).status === 0;
    if (canUnshare) {
      privateDir = join(dir, 'private');
      mkdirSync(privateDir, { recursive: true });
      // sh -c 'mount ... && exec slurmd ...' inside a private mount namespace: the pid stays slurmd's
      daemon('slurmd', ['-D', '-f', conf], 'slurmd.out', privateDir);
    } else {
      daemon('slurmd', ['-D', '-f', conf], 'slurmd.out');
    }

    // ready = sinfo shows the node idle
    let last = '';
    for (let i = 0; i < 600; i++) {
      const r = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8', timeout: 5000 });
      last = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
      if (r.status === 0 && /^idle/m.test(r.stdout)) {
        return { dir, conf, env, node, cpus, gpus, gpuFiles, stop, ...(privateDir ? { privateDir } : {}) };
      }
      await sleep(200);
    }
    throw new Error(`the test cluster did not become idle in 120 s (sinfo: ${last})\n--- slurmctld:\n${tail(join(dir, 'log', 'slurmctld.log'))}\n--- slurmd:\n${tail(join(dir, 'log', 'slurmd.log'))}`);
  } catch (e) {
    await stop();
    throw e;
  }
}
