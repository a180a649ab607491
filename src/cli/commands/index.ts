// The ordered list of commands: `fbw --help` shows them in this order.
// A new command is one file in this folder plus one line here.
import type { Command } from '../command.js';

export const commands: readonly Command[] = [
];
