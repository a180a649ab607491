// Entry of a data-parallel rank > 0, forked by rank 0 (dataParallel.ts): runs the same stage
// runner on its shard of every batch, with the all-reduce going through rank 0. It writes no
// outputs and reports no progress (rank 0 speaks for the stage). Signals from the terminal are
// ignored: rank 0 decides when to stop; when rank 0's channel closes (done, failed, kill -9),
// this process exits at once.
import type { StageContext } from '../stages/contract.js';
import { stageImpl } from '../stages/registry.js';
import { toWire } from '../protocol/stageJob.js';
import { ReduceTimer, rankLog, rankReducer, type FromRank, type ToRank } from './dataParallel.js';

process.on('SIGTERM', () => { /* rank 0 checkpoints and then closes our channel */ });
process.on('SIGINT', () => { /* the scheduler decides */ });
process.on('disconnect', () => process.exit(0));

// rank 0 may close the channel while this rank is still winding down: a late message is dropped
const send = (m: FromRank): void => { if (process.connected) process.send?.(m, undefined, undefined, () => {}); };
let sumHandler: ((seq: number, buf: Float32Array) => void) | undefined;

process.on('message', (msg: ToRank) => {
  switch (msg.type) {
    case 'sum': sumHandler?.(msg.seq, msg.buf); break;
    case 'run': void runRank(msg.job, msg.rank, msg.worldSize); break;
  }
});

async function runRank(job: Extract<ToRank, { type: 'run' }>['job'], rank: number, worldSize: number): Promise<void> {
  const log = rankLog(job.logFile, rank);
  process.env['FBW_WORKFLOW_DIR'] = job.workflowDir;
  const device = process.env['FBW_DEVICE'] ?? 'cpu';
  const timer = new ReduceTimer();
  log(`rank ${rank}/${worldSize} pid ${process.pid} on ${device} OPENBLAS_NUM_THREADS=${process.env['OPENBLAS_NUM_THREADS'] ?? ''} CUDA_VISIBLE_DEVICES='${process.env['CUDA_VISIBLE_DEVICES'] ?? ''}'`);
  const ctx: StageContext = {
    stage: job.stage,
    inputs: job.inputs,
    outDir: job.outDir,
    checkpointDir: job.checkpointDir,
    device,
    progress: () => {},
    checkpointed: () => {},
    resumed: (step) => log(`resumed from checkpoint at step ${step}`),
    log,
    signal: new AbortController().signal,
    dataParallel: rankReducer(rank, worldSize, send, (h) => { sumHandler = h; }, timer),
  };
  try {
    const run = await stageImpl(job.stage).load(job.stage);
    await run(ctx);
    log(`done; ${timer.summary()}`);
    send({ type: 'done' });
  } catch (e) {
    const w = toWire(e);
    log(`FAILED: ${w.stack ?? `${w.name}: ${w.message}`}`);
    send({ type: 'error', error: w });
  }
}
