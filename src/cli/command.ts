// One CLI command: a small object with its own help, so `fbw --help`, suggestions and
// dispatch all come from the ordered list in commands/index.ts.

export interface CommandIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface Command {
  readonly name: string;
  /** one line, shown in `fbw --help` */
  readonly summary: string;
  /** full help text: usage, options, examples (shown by `fbw NAME --help`) */
  readonly help: string;
  /** long option names this command accepts (without --), for "did you mean" on unknown flags */
  readonly flags?: readonly string[];
  /** exit code: 0 ok, 1 the work failed / diagnostics, 2 usage error, 130 interrupted */
  run(args: readonly string[], io: CommandIO): Promise<number>;
}
