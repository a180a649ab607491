// Worker process entry, forked by the local executor once per stage execution: receives the job
// over IPC, runs it, reports back, exits. SIGTERM asks the stage to checkpoint and stop; SIGINT
// from the terminal is ignored (the scheduler forwards Ctrl-C as SIGTERM); losing the scheduler
// (IPC disconnect, e.g. it was killed) ends the worker at once.
//
// Standalone: `node worker.js JOB.json EVENTS.jsonl` runs one job and appends each message to
// EVENTS.jsonl (for executors without an IPC channel, such as SLURM batch jobs).
import { appendFileSync } from 'node:fs';
import { runStageJob } from './runStageJob.js';
import { stageJobFormat, toWire, type FromWorker, type StageJob, type ToWorker } from '../protocol/stageJob.js';

const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
process.on('SIGINT', () => { /* the scheduler decides; see header */ });

if (process.send) {
  let last: Promise<void> = Promise.resolve();
  let finished = false;
  const send = (m: FromWorker) => { last = new Promise<void>((r) => { process.send?.(m, undefined, undefined, () => r()); }); };
  process.on('disconnect', () => process.exit(finished ? 0 : 1));
  process.on('message', (msg: ToWorker) => {
    if (msg.type === 'abort') { controller.abort(); return; }
    void runStageJob(msg.job, send, controller.signal).then(async () => {
      finished = true;
      await last; // the final message is written to the channel before we leave
      process.exit(0);
    });
  });
} else {
  const [jobFile, eventsFile] = process.argv.slice(2);
  if (!jobFile || !eventsFile) {
    process.stderr.write('usage: node worker.js JOB.json EVENTS.jsonl\n');
    process.exit(2);
  }
  let failed = false;
  const send = (m: FromWorker) => { if (m.type === 'error') failed = true; appendFileSync(eventsFile, JSON.stringify(m) + '\n'); };
  let job: StageJob;
  try {
    job = stageJobFormat.read(jobFile);
  } catch (e) {
    // a damaged job file: say which file and why, as the stage's error, and stop
    send({ type: 'error', error: toWire(e) });
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  }
  void runStageJob(job, send, controller.signal).then(() => { process.exitCode = failed ? 1 : 0; });
}
