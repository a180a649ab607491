// The argument parser of the run-inspection commands (show, logs, open): positionals, `--flag value`
// and boolean flags, with a UsageError the command turns into its help hint and exit 2.

/** Parsed command-line of the run-inspection commands. */
export interface ParsedArgs {
  readonly positional: readonly string[];
  readonly values: { readonly [flag: string]: string };
  readonly bools: ReadonlySet<string>;
}

/** A usage error: the command prints it with its help hint and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Split args into positionals, `--flag value` / `--flag=value` values and boolean flags (short aliases mapped). */
export function parseArgs(args: readonly string[], valueFlags: readonly string[], boolFlags: readonly string[], short: { readonly [s: string]: string } = {}): ParsedArgs {
  const positional: string[] = [];
  const values: Record<string, string> = {};
  const bools = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') { positional.push(...args.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (valueFlags.includes(name)) {
        const v = inline ?? args[++i];
        if (v === undefined) throw new UsageError(`option --${name} needs a value`);
        values[name] = v;
      } else if (boolFlags.includes(name)) bools.add(name);
      else throw new UsageError(`unknown option '--${name}'`);
    } else if (a.startsWith('-') && a.length > 1) {
      const long = short[a.slice(1)];
      if (long === undefined) throw new UsageError(`unknown option '${a}'`);
      bools.add(long);
    } else positional.push(a);
  }
  return { positional, values, bools };
}
