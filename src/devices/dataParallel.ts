// Data-parallel training across k worker processes, as Lightning Fabric's `devices=k` (DDP) does
// for FusionBench's fine-tuning: the stage's worker is rank 0 and forks ranks 1…k−1 (one per
// device slot the scheduler gave the stage); every step each rank sends its gradient buffer to
// rank 0 over the IPC channel (V8 serialisation, Float32Array as is), rank 0 sums them in rank
// order and sends the one sum back, so all ranks apply a bit-identical update. Ranks > 0 write
// nothing: rank 0 alone writes checkpoints and the artifact. Losing rank 0 (kill -9) closes the
// channel and every other rank exits at once; a rank > 0 that dies fails the stage (transient).
import { fork, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { StageKind } from '../compile/ir.js';
import type { GradientAllReduce } from '../ml/finetune/clipTrainStep.js';
import type { StageJob, WireError } from '../protocol/stageJob.js';

const RANK_WORKER = fileURLToPath(new URL('./rankWorker.js', import.meta.url));

/** Stage kinds whose runner trains data-parallel when given a `dataParallel` group. */
export const DATA_PARALLEL_KINDS: ReadonlySet<StageKind> = new Set<StageKind>(['finetune']);

/** rank 0 → rank r */
export type ToRank =
  | { readonly type: 'run'; readonly job: StageJob; readonly rank: number; readonly worldSize: number }
  | { readonly type: 'sum'; readonly seq: number; readonly buf: Float32Array };

/** rank r → rank 0 */
export type FromRank =
  | { readonly type: 'grads'; readonly seq: number; readonly buf: Float32Array }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly error: WireError };

/** A data-parallel rank > 0 failed or died; the stage fails (retried when the rank died). */
export class DataParallelRankFailed extends Error {
  constructor(readonly stage: string, readonly rank: number, reason: string, readonly transient: boolean) {
    super(`stage ${stage}: data-parallel rank ${rank} ${reason} (its lines in the stage log start with [rank ${rank}])`);
    this.name = 'DataParallelRankFailed';
  }
}

/** The devices a job was given, one per rank ('cpu,cpu' → ['cpu', 'cpu']). */
export function jobDevices(job: Pick<StageJob, 'device'>): string[] {
  return job.device.split(',').map((d) => d.trim()).filter(Boolean);
}

/** Environment of rank `rank`: the stage's binding narrowed to that rank's device. */
export function rankEnv(base: NodeJS.ProcessEnv, devices: readonly string[], rank: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, FBW_DEVICE: devices[rank]!, FBW_RANK: String(rank), FBW_WORLD_SIZE: String(devices.length) };
  const gpu = /^gpu:(\d+)$/.exec(devices[rank]!);
  if (gpu) env['CUDA_VISIBLE_DEVICES'] = gpu[1]!;
  return env;
}

/** Rank 0's side of a running group: the all-reduce to train with, and the shutdown. */
export interface DataParallelGroup {
  readonly reducer: GradientAllReduce;
  readonly pids: readonly number[];
  /** end ranks > 0: let them exit (success) or kill them (failure); resolves once all are gone */
  close(ok: boolean): Promise<void>;
}

interface Peer {
  readonly rank: number;
  readonly child: ChildProcess;
  readonly inbox: Map<number, Float32Array>;
  failure?: DataParallelRankFailed;
  exited: boolean;
}

/** Fork ranks 1…k−1 for `job` (rank 0 is this process) and return rank 0's all-reduce. */
export function startDataParallel(job: StageJob, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): DataParallelGroup {
  const devices = jobDevices(job);
  const world = devices.length;
  let wake: (() => void) | undefined;
  const notify = () => { const w = wake; wake = undefined; w?.(); };
  const peers: Peer[] = [];
  for (let rank = 1; rank < world; rank++) {
    const child = fork(RANK_WORKER, [], { env: rankEnv(env, devices, rank), stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [], serialization: 'advanced' });
    const peer: Peer = { rank, child, inbox: new Map(), exited: false };
    peers.push(peer);
    child.on('message', (m: FromRank) => {
      switch (m.type) {
        case 'grads': peer.inbox.set(m.seq, m.buf); break;
        case 'done': break;
        case 'error': peer.failure ??= new DataParallelRankFailed(job.stage.id, rank, `failed: ${m.error.name}: ${m.error.message}`, m.error.transient); break;
      }
      notify();
    });
    child.on('error', (e) => { peer.failure ??= new DataParallelRankFailed(job.stage.id, rank, `could not start: ${e.message}`, true); notify(); });
    child.on('exit', (code, sig) => {
      peer.exited = true;
      peer.failure ??= new DataParallelRankFailed(job.stage.id, rank, `exited (${sig ? `killed by ${sig}` : `code ${code}`}) before training finished`, true);
      notify();
    });
    child.send({ type: 'run', job, rank, worldSize: world } satisfies ToRank);
    log(`data-parallel: rank ${rank}/${world} on ${devices[rank]} pid ${child.pid ?? '?'}`);
  }
  log(`data-parallel: rank 0/${world} on ${devices[0]} pid ${process.pid}`);

  let seq = 0;
  let closing = false;
  const timer = new ReduceTimer();
  const reducer: GradientAllReduce = {
    rank: 0,
    worldSize: world,
    allReduceSum(buf: Float32Array): Promise<Float32Array> {
      const s = ++seq;
      return timer.time(s, () => reduce(s, buf));
    },
  };
  const reduce = async (s: number, buf: Float32Array): Promise<Float32Array> => {
    for (;;) {
      const bad = peers.find((p) => p.failure && !p.inbox.has(s));
      if (bad) throw bad.failure!;
      if (peers.every((p) => p.inbox.has(s))) break;
      await new Promise<void>((r) => { wake = r; });
    }
    const sum = Float32Array.from(buf);
    for (const p of peers) {
      const b = p.inbox.get(s)!;
      p.inbox.delete(s);
      if (b.length !== sum.length) throw new DataParallelRankFailed(job.stage.id, p.rank, `sent ${b.length} gradient values, rank 0 has ${sum.length} (ranks train different tensors)`, false);
      for (let i = 0; i < sum.length; i++) sum[i]! += b[i]!;
    }
    for (const p of peers) p.child.send({ type: 'sum', seq: s, buf: sum } satisfies ToRank);
    return sum;
  };

  return {
    reducer,
    pids: peers.map((p) => p.child.pid ?? -1),
    async close(ok: boolean): Promise<void> {
      if (closing) return;
      closing = true;
      if (seq) log(`data-parallel: ${seq} all-reduces of ${world} ranks; rank 0: ${timer.summary()}`);
      const gone = peers.map((p) => (p.exited ? Promise.resolve() : new Promise<void>((r) => p.child.once('exit', () => r()))));
      for (const p of peers) {
        if (p.exited) continue;
        // on success a rank leaves by itself when its channel closes; otherwise it is killed
        if (ok) { try { p.child.disconnect(); } catch { /* already closed */ } }
        else { try { p.child.kill('SIGKILL'); } catch { /* gone */ } }
      }
      const killer = setTimeout(() => { for (const p of peers) if (!p.exited) { try { p.child.kill('SIGKILL'); } catch { /* gone */ } } }, 10_000);
      await Promise.all(gone);
      clearTimeout(killer);
    },
  };
}

/** Where a rank's time goes between all-reduces (after the first, which waits for start-up). */
export class ReduceTimer {
  private computeMs = 0;
  private waitMs = 0;
  private n = 0;
  private last = 0;
  /** wrap one all-reduce */
  async time<T>(seq: number, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    if (seq > 1) this.computeMs += t0 - this.last;
    const r = await f();
    this.last = performance.now();
    if (seq > 1) { this.waitMs += this.last - t0; this.n++; }
    return r;
  }
  summary(): string {
    return this.n ? `${(this.computeMs / this.n).toFixed(1)} ms computing + ${(this.waitMs / this.n).toFixed(1)} ms in the all-reduce per step (${this.n} steps after the first)` : 'no steps timed';
  }
}

/** A rank > 0's side: its gradients go to rank 0 over the IPC channel, the sum comes back. */
export function rankReducer(rank: number, worldSize: number, send: (m: FromRank) => void, onSum: (handler: (seq: number, buf: Float32Array) => void) => void, timer = new ReduceTimer()): GradientAllReduce {
  const waiting = new Map<number, (b: Float32Array) => void>();
  const early = new Map<number, Float32Array>();
  onSum((s, b) => { const w = waiting.get(s); if (w) { waiting.delete(s); w(b); } else early.set(s, b); });
  let seq = 0;
  return {
    rank,
    worldSize,
    allReduceSum(buf: Float32Array): Promise<Float32Array> {
      const s = ++seq;
      return timer.time(s, () => {
        send({ type: 'grads', seq: s, buf });
        const got = early.get(s);
        if (got) { early.delete(s); return Promise.resolve(got); }
        return new Promise<Float32Array>((r) => waiting.set(s, r));
      });
    },
  };
}

/** A log function that prefixes a rank's lines in the stage's shared log file. */
export function rankLog(logFile: string, rank: number): (line: string) => void {
  return (line) => appendFileSync(logFile, `${new Date().toISOString()} [rank ${rank}] ${line}\n`);
}
