// The ordered list of commands: `fbw --help` shows them in this order.
// A new command is one file in this folder plus one line here. Each is loaded only when it
// runs, so `fbw run` does not pay for parsing the language front end or ink just to start.
import type { Command } from '../command.js';

export interface CommandEntry {
  readonly name: string;
  readonly load: () => Promise<Command>;
}

export const commands: readonly CommandEntry[] = [
  { name: 'check', load: async () => (await import('./check.js')).check },
  { name: 'graph', load: async () => (await import('./graph.js')).graph },
  { name: 'run', load: async () => (await import('./run.js')).run },
  { name: 'plan', load: async () => (await import('./plan.js')).plan },
  { name: 'why', load: async () => (await import('./why.js')).why },
  { name: 'runs', load: async () => (await import('./runs.js')).runs },
  { name: 'replay', load: async () => (await import('./replay.js')).replay },
  { name: 'gc', load: async () => (await import('./gc.js')).gc },
  { name: 'show', load: async () => (await import('./show.js')).show },
  { name: 'logs', load: async () => (await import('./logs.js')).logs },
  { name: 'open', load: async () => (await import('./open.js')).open },
  { name: 'merge', load: async () => (await import('./merge.js')).merge },
  { name: 'predict', load: async () => (await import('./predict.js')).predict },
  { name: 'doctor', load: async () => (await import('./doctor.js')).doctor },
];
