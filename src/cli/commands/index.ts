// The ordered list of commands: `fbw --help` shows them in this order.
// A new command is one file in this folder plus one line here.
import type { Command } from '../command.js';
import { run } from './run.js';
import { plan } from './plan.js';
import { why } from './why.js';
import { runs } from './runs.js';
import { replay } from './replay.js';
import { gc } from './gc.js';
import { show } from './show.js';
import { logs } from './logs.js';
import { open } from './open.js';
import { check } from './check.js';
import { graph } from './graph.js';
import { merge } from './merge.js';
import { doctor } from './doctor.js';
import { predict } from './predict.js';

export const commands: readonly Command[] = [
  check,
  graph,
  run,
  plan,
  why,
  runs,
  replay,
  gc,
  show, logs, open,
  merge,
  predict,
  doctor,
];
