// A typed client over SLURM's own commands (sbatch, squeue, scontrol, scancel).
// Status comes from squeue/scontrol only: many clusters run no accounting database, so no sacct.

import { spawn } from 'node:child_process';
import { SlurmCommandFailed } from './errors.js';
import { jobPhase, type JobPhase } from './jobState.js';

/** The status of one job as the controller reports it. */
export interface JobStatus {
  readonly id: string;
  /** raw SLURM state, e.g. "RUNNING", "FAILED" ("" when the controller no longer knows the job) */
  readonly state: string;
  readonly phase: JobPhase;
  /** node the job runs / ran on (absent while pending) */
  readonly node?: string;
  /** exit code of the batch script (terminal jobs only) */
  readonly exitCode?: number;
  /** signal that ended the batch script, 0 if none */
  readonly signal?: number;
  /** why pending, or why it ended (e.g. "Resources", "NonZeroExitCode") */
  readonly reason?: string;
  /** times SLURM requeued the job (preemption, node failure) */
  readonly restarts?: number;
  readonly stdout?: string;
  readonly stderr?: string;
}

/** How one sbatch call is made (beyond the script's own #SBATCH lines). */
export interface SubmitOptions {
  /** extra sbatch command-line options; they override the script's #SBATCH lines */
  readonly args?: readonly string[];
  /** working directory of sbatch (and the job's default --chdir) */
  readonly cwd?: string;
  /** environment of sbatch, exported into the job (sbatch --export=ALL); default the client's */
  readonly env?: NodeJS.ProcessEnv;
}

/** The three things fbw asks of SLURM: submit, poll, cancel (plus requeue and lookup by name). */
export interface SlurmClient {
  /** submit a batch script (its text, with #SBATCH lines); returns the job id */
  submit(script: string, opts?: SubmitOptions): Promise<string>;
  /** status of each job id; ids the controller no longer knows come back with phase 'unknown' */
  poll(ids: readonly string[]): Promise<ReadonlyMap<string, JobStatus>>;
  /** the newest job with this exact name that SLURM still knows, if any */
  findByName(name: string): Promise<string | undefined>;
  /** put running jobs back in the queue (`scontrol requeue`), as preemption with requeue does */
  requeue(ids: readonly string[]): Promise<void>;
  /** scancel the jobs; already finished or unknown jobs are not an error */
  cancel(ids: readonly string[], opts?: { readonly signal?: string }): Promise<void>;
}

/** Which cluster (through env) and how patient to be with its controller. */
export interface SlurmClientOptions {
  /** environment for the commands (SLURM_CONF, PATH, ...); default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** per-command timeout in ms (default 30 s) */
  readonly timeoutMs?: number;
  /** retries on a controller that does not answer (default 3) */
  readonly retries?: number;
}

interface Exec { readonly code: number | null; readonly stdout: string; readonly stderr: string }

function exec(cmd: string, args: readonly string[], opts: { env: NodeJS.ProcessEnv; timeoutMs: number; input?: string; cwd?: string }): Promise<Exec> {
  return new Promise((resolve) => {
    let stdout = '', stderr = '';
    let done = false;
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => { child.kill('SIGKILL'); stderr += `\n(timed out after ${opts.timeoutMs} ms)`; }, opts.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const finish = (r: Exec) => { if (!done) { done = true; clearTimeout(timer); resolve(r); } };
    child.on('error', (e) => finish({ code: null, stdout, stderr: `${stderr}${String(e)}` }));
    child.on('close', (code) => finish({ code, stdout, stderr }));
    child.stdin.on('error', () => { /* the command may exit before reading stdin */ });
    child.stdin.end(opts.input ?? '');
  });
}

const TRANSIENT = /Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted|Resource temporarily unavailable|timed out after/i;
const UNKNOWN_JOB = /Invalid job id specified/i;

/** Parse one line of `scontrol show job -o`: "Key=Value Key=Value ...", values may contain spaces. */
export function parseScontrolLine(line: string): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const re = /(?:^|\s)([A-Za-z][\w:/]*)=(.*?)(?=\s+[A-Za-z][\w:/]*=|\s*$)/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line)) out.set(m[1]!, m[2]!);
  return out;
}

/** Parse `squeue -h -o '%i|%T|%N|%r'` output. */
export function parseSqueue(text: string): JobStatus[] {
  const out: JobStatus[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [id, state, node, reason] = line.split('|');
    if (!id || state === undefined) continue;
    out.push({ id: id.trim(), state, phase: jobPhase(state), ...(node ? { node } : {}), ...(reason && reason !== 'None' ? { reason } : {}) });
  }
  return out;
}

function fromScontrol(id: string, kv: ReadonlyMap<string, string>): JobStatus {
  const state = kv.get('JobState') ?? '';
  const [code, sig] = (kv.get('ExitCode') ?? '').split(':');
  const node = kv.get('BatchHost') && kv.get('BatchHost') !== '(null)' ? kv.get('BatchHost') : kv.get('NodeList');
  const reason = kv.get('Reason');
  const restarts = kv.get('Restarts');
  const phase = jobPhase(state);
  const terminal = phase !== 'queued' && phase !== 'running';
  return {
    id, state, phase,
    ...(node && node !== '(null)' ? { node } : {}),
    ...(terminal && code !== undefined && code !== '' ? { exitCode: Number(code), signal: Number(sig ?? 0) } : {}),
    ...(reason && reason !== 'None' ? { reason } : {}),
    ...(restarts !== undefined ? { restarts: Number(restarts) } : {}),
    ...(kv.get('StdOut') ? { stdout: kv.get('StdOut')! } : {}),
    ...(kv.get('StdErr') ? { stderr: kv.get('StdErr')! } : {}),
  };
}

/** A client bound to one cluster (its SLURM_CONF comes from `env`). */
export function createSlurmClient(options: SlurmClientOptions = {}): SlurmClient {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retries = options.retries ?? 3;

  async function run(cmd: string, args: readonly string[], extra: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; ok?: (r: Exec) => boolean } = {}): Promise<Exec> {
    for (let attempt = 0; ; attempt++) {
      const r = await exec(cmd, args, { timeoutMs, ...extra, env: extra.env ?? env });
      if (r.code === 0 || extra.ok?.(r)) return r;
      if (attempt < retries && r.code !== null && TRANSIENT.test(r.stderr)) {
        await new Promise((res) => setTimeout(res, 250 * 2 ** attempt));
        continue;
      }
      throw new SlurmCommandFailed(cmd, args, r.code, r.stderr);
    }
  }

  return {
    async submit(script, opts = {}) {
      const args = ['--parsable', ...(opts.args ?? [])];
      const r = await run('sbatch', args, { input: script, ...(opts.cwd ? { cwd: opts.cwd } : {}), ...(opts.env ? { env: opts.env } : {}) });
      const id = r.stdout.trim().split('\n').pop()!.split(';')[0]!.trim();
      if (!/^\d+(_\d+)?$/.test(id)) throw new SlurmCommandFailed('sbatch', args, r.code, `unexpected output '${r.stdout.trim()}' (expected a job id)`);
      return id;
    },

    async poll(ids) {
      const result = new Map<string, JobStatus>();
      if (ids.length === 0) return result;
      const q = await run('squeue', ['-h', '-t', 'all', '-j', ids.join(','), '-o', '%i|%T|%N|%r'], { ok: (x) => UNKNOWN_JOB.test(x.stderr) });
      const seen = new Map(parseSqueue(q.stdout).map((s) => [s.id, s]));
      for (const id of ids) {
        const s = seen.get(id);
        if (s && (s.phase === 'queued' || s.phase === 'running')) { result.set(id, s); continue; }
        // terminal or unlisted: scontrol has the exit code (squeue has no field for it)
        const c = await run('scontrol', ['show', 'job', '-o', id], { ok: (x) => UNKNOWN_JOB.test(x.stderr) });
        const line = c.stdout.split('\n').find((l) => l.startsWith('JobId='));
        if (line) result.set(id, fromScontrol(id, parseScontrolLine(line)));
        else if (s) result.set(id, s);
        else result.set(id, { id, state: '', phase: 'unknown' });
      }
      return result;
    },

    async findByName(name) {
      const q = await run('squeue', ['-h', '-t', 'all', '-n', name, '-o', '%i']);
      const ids = q.stdout.split('\n').map((l) => l.trim()).filter((l) => /^\d+$/.test(l));
      return ids.sort((a, b) => Number(a) - Number(b)).pop();
    },

    async requeue(ids) {
      if (ids.length > 0) await run('scontrol', ['requeue', ids.join(',')]);
    },

    async cancel(ids, opts = {}) {
      if (ids.length === 0) return;
      const args = [...(opts.signal ? ['--signal', opts.signal] : []), ...ids];
      // scancel reports already-finished or purged jobs on stderr; that is not a failure here
      await run('scancel', args, { ok: (x) => /already completing or completed|Invalid job id/i.test(x.stderr) });
    },
  };
}
