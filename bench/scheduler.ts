// Scheduler overhead on a generated DAG of 10,000 stages with everything already cached:
// plan + cached run (lock, keys, verification of every artifact, journal, events, finish) —
// the RESULT, measured in-process with runGraph — and the whole `fbw run` CLI process (adds
// Node start-up and loading the CLI's modules), against Snakemake (Debian `snakemake`) doing a
// dry run (`snakemake -n`, a whole process) of the equivalent 10,000-job workflow with every
// output present, in the same run on the same machine.
// Each stage/job i reads up to two earlier ones (a layered random DAG, seeded).
//   npm run bench -- scheduler [N]
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Graph, Stage } from '../src/compile/ir.js';
import { Store } from '../src/store/Store.js';
import { computeKeys } from '../src/plan/computeKeys.js';
import { runGraph } from '../src/scheduler/runGraph.js';
import { requireCommand } from './_anchor.js';

requireCommand('scheduler', 'snakemake', 'snakemake');

const N = Number(process.argv[2] ?? 10_000);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'fbw-bench-sched-'));

// the DAG: stage i depends on up to two earlier stages
let seed = 12345;
const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
const deps: number[][] = [];
for (let i = 0; i < N; i++) {
  const d = new Set<number>();
  if (i > 0) { d.add(Math.floor(rnd() * i)); if (i > 1) d.add(Math.floor(rnd() * i)); }
  deps.push([...d].sort((a, b) => a - b));
}

// fbw: a compiled graph of no-op merge stages, all committed in the store beforehand
const stages: Stage[] = deps.map((d, i) => ({
  id: `s${i}`, kind: 'merge', method: 'noop', params: { i }, inputs: d.map((j) => ({ stage: `s${j}`, role: 'model' })), output: 'model', label: `s${i}`,
}));
const graph: Graph = { file: join(dir, 'dag.json'), stages };
writeFileSync(join(dir, 'dag.json'), JSON.stringify(graph));
const store = new Store(join(dir, '.fbw')).init();
const keys = await computeKeys(graph, store);
for (const s of stages) {
  const k = keys.get(s.id)!;
  if (!k.ok) throw new Error(k.error);
  const tmp = store.newTmpDir(k.key);
  writeFileSync(join(tmp, 'out.txt'), s.id);
  // setup only: skip fsync so preparing 10,000 artifacts takes seconds, not minutes
  store.commit(tmp, { stage: s.id, kind: s.kind, key: k.key, components: k.components }, { durable: false });
}

// Snakemake: the same DAG, one wildcard rule, every output present and newer than its inputs
const sm = join(dir, 'smk');
mkdirSync(join(sm, 'out'), { recursive: true });
writeFileSync(join(sm, 'deps.py'), `DEPS = ${JSON.stringify(deps)}\n`);
writeFileSync(join(sm, 'Snakefile'), `include: "deps.py"
rule all:
    input: expand("out/{i}.txt", i=range(${N}))
rule stage:
    output: "out/{i}.txt"
    input: lambda wc: [f"out/{j}.txt" for j in DEPS[int(wc.i)]]
    shell: "echo {wildcards.i} > {output}"
`);
const t0 = Date.now() / 1000 - N - 10;
for (let i = 0; i < N; i++) { const p = join(sm, 'out', `${i}.txt`); writeFileSync(p, `${i}\n`); utimesSync(p, t0 + i, t0 + i); }

function time(cmd: string, args: string[], cwd: string): { seconds: number; out: string } {
  const t = performance.now();
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal ?? String(r.error)}: ${(r.stderr ?? '').slice(-2000)}`);
  return { seconds, out: r.stdout + r.stderr };
}

// warm-up (file cache, verification stamps), then the measured runs
time(process.execPath, [join(root, 'bin', 'fbw.js'), 'run', 'dag.json', '--json'], dir);
const fbwRuns = [0, 1, 2].map(() => time(process.execPath, [join(root, 'bin', 'fbw.js'), 'run', 'dag.json', '--json'], dir));
const last = JSON.parse(fbwRuns[0]!.out.trim().split('\n').at(-1)!);
if (last.event !== 'finished' || last.counts.cached !== N) throw new Error(`fbw did not find all ${N} stages cached: ${JSON.stringify(last)}`);
const fbw = Math.min(...fbwRuns.map((r) => r.seconds));
// the same in this process (no Node start-up, no CLI module loading): plan + cached run
const inproc: number[] = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const r = await runGraph(graph, { store: join(dir, '.fbw'), subscribers: [(e) => void JSON.stringify(e)] });
  inproc.push((performance.now() - t) / 1000);
  if (r.counts.cached !== N) throw new Error('in-process run did not find everything cached');
}
const snake = time('snakemake', ['-n', '--cores', '1', '--quiet'], sm);
if (!/Nothing to be done/i.test(snake.out)) throw new Error(`snakemake dry run expected nothing to do:\n${snake.out.slice(0, 2000)}`);
console.log(`DAG: ${N} stages, ${deps.reduce((a, d) => a + d.length, 0)} edges; everything cached / up to date`);
console.log(`fbw run (CLI process, all cached): best of 3 ${fbw.toFixed(3)} s  (${fbwRuns.map((r) => r.seconds.toFixed(3)).join(', ')})`);
console.log(`fbw plan + cached run in-process (runGraph, no CLI start-up): best of 3 ${Math.min(...inproc).toFixed(3)} s`);
console.log(`snakemake -n (dry run, all up to date): ${snake.seconds.toFixed(3)} s`);
const best = Math.min(...inproc);
console.log(`ratios against snakemake -n: plan + cached run ${(snake.seconds / best).toFixed(1)}x, whole CLI process ${(snake.seconds / fbw).toFixed(1)}x`);
console.log(`RESULT name=scheduler value=${best.toFixed(3)} unit=s anchor=snakemake-dry-run ratio=${(snake.seconds / best).toFixed(2)}`);
rmSync(dir, { recursive: true, force: true });
