// `fbw` entry: dispatch to a command from the registry; unknown commands get a suggestion.
import { commands } from './commands/index.js';
import type { CommandIO } from './command.js';
import { didYouMean } from '../util/suggest.js';
import { describeFsError } from '../util/fsErrors.js';

const EXIT_CODES = `Exit codes:
  0    success
  1    the workflow has errors, or a stage failed
  2    usage error (unknown command or flag, missing argument)
  130  interrupted (Ctrl-C); committed work is kept and \`fbw run\` resumes it`;

async function usage(): Promise<string> {
  const loaded = await Promise.all(commands.map((c) => c.load()));
  const width = Math.max(...loaded.map((c) => c.name.length), 4);
  const lines = loaded.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `fbw — fine-tune, merge and evaluate vision transformers from a small workflow language

Usage: fbw COMMAND [options]   (fbw COMMAND --help for details)

Commands:
${lines.join('\n')}

Examples:
  fbw run workflows/quickstart.fbw
  fbw check my.fbw
  fbw graph my.fbw --format mermaid

${EXIT_CODES}
`;
}

export async function main(argv: readonly string[], io: CommandIO = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0]) return main([rest[0], '--help'], io);
    io.stdout.write(await usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write('fbw 0.1.0\n');
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    const hint = didYouMean(name, commands.map((c) => c.name));
    io.stderr.write(`fbw: unknown command '${name}'${hint ? ` — did you mean '${hint}'?` : ''}\nRun 'fbw --help' for the list of commands.\n`);
    return 2;
  }
  const cmd = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(cmd.help.endsWith('\n') ? cmd.help : cmd.help + '\n');
    return 0;
  }
  if (cmd.flags) {
    for (const a of rest) {
      if (!a.startsWith('--')) continue;
      const flag = a.slice(2).split('=')[0]!;
      if (!cmd.flags.includes(flag)) {
        const hint = didYouMean(flag, cmd.flags);
        io.stderr.write(`fbw ${cmd.name}: unknown option '--${flag}'${hint ? ` — did you mean '--${hint}'?` : ''}\nRun 'fbw ${cmd.name} --help' for its options.\n`);
        return 2;
      }
    }
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    return reportUncaught(cmd.name, e, io);
  }
}

/** Built-in JavaScript errors: when one escapes a command it is a bug in fbw, not the user's input. */
const DEFECTS = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'AssertionError']);

/**
 * The last line of defence: an error no command handled becomes one line naming the command.
 * Tagged errors (ModelLoadError, CheckpointCorrupt, ...) carry a message written for users; a
 * plain Error is a bug, said so, with its stack only under FBW_DEBUG=1.
 */
function reportUncaught(command: string, e: unknown, io: CommandIO): number {
  const err = e instanceof Error ? e : new Error(String(e));
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') return 0; // stdout closed: see exitQuietlyOnClosedPipe
  const message = err.message.trim() || err.name;
  const bug = DEFECTS.has(err.name) && !(err as NodeJS.ErrnoException).code;
  const errno = (err as NodeJS.ErrnoException).code ? ` (${describeFsError(err)})` : '';
  io.stderr.write(`fbw ${command}: ${bug ? 'internal error: ' : ''}${errno ? message.replace(/^[A-Z]+: /, '') : message}${bug ? (io.env['FBW_DEBUG'] ? `\n${err.stack ?? ''}` : ' (a bug in fbw; FBW_DEBUG=1 prints where)') : ''}\n`);
  return 1;
}

/**
 * `fbw plan --json | head -1`: once the reader goes away, stop quietly as Unix tools do
 * (no EPIPE stack trace, exit 0; stderr is never a reason to fail).
 */
export function exitQuietlyOnClosedPipe(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr): void {
  stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    throw e;
  });
  stderr.on('error', () => { /* nowhere left to report it */ });
}
