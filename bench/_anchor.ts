// A benchmark's anchor (the program it is measured against) must be present: when it is not, the
// benchmark says which Debian package provides it and exits 3, instead of failing somewhere inside.
import { spawnSync } from 'node:child_process';

/** Exits 3 with one line naming the Debian package when `probe` fails. */
function require(bench: string, what: string, debianPackage: string, ok: boolean): void {
  if (ok) return;
  console.error(`bench ${bench}: its anchor ${what} is not installed; install it with \`sudo apt-get install ${debianPackage}\` (Debian/Ubuntu) and run again`);
  process.exit(3);
}

/** A command on PATH (e.g. snakemake). */
export function requireCommand(bench: string, command: string, debianPackage: string): void {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
  require(bench, `\`${command}\``, debianPackage, r.status === 0);
}

/** A Python module importable by `python` (e.g. torch from python3-torch). */
export function requirePythonModule(bench: string, python: string, module: string, debianPackage: string): void {
  const r = spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
  require(bench, `${python} with the \`${module}\` module`, debianPackage, r.status === 0);
}

/** Any other condition (e.g. OpenBLAS found by the native addon). */
export function requireAnchor(bench: string, what: string, debianPackage: string, present: boolean): void {
  require(bench, what, debianPackage, present);
}
