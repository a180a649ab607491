#!/usr/bin/env node
// Builds the fbw native kernel addon (native/build/Release/fbw_kernels.node) with node-gyp.
// Run by `npm install` / `npm ci` (the package's "install" script). It never fails the install:
// without a C++ compiler, make, python3 or Node headers it prints a warning and fbw falls back
// to the wasm backend. It never downloads Node headers: it points node-gyp at the local ones.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const quiet = process.argv.includes('--quiet');

function warn(msg) {
  console.warn(`fbw: native CPU kernels not built (${msg}); fbw will use the wasm backend instead. ` +
    'Install a C++ toolchain (Debian: apt-get install g++ make python3) and run `node native/build.mjs` to build them.');
  process.exit(0);
}

if (process.env.FBW_SKIP_NATIVE === '1') warn('FBW_SKIP_NATIVE=1');

// node-gyp: the one npm passes to lifecycle scripts, else the copy bundled with npm, else PATH.
function findNodeGyp() {
  const cands = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of cands) if (c && existsSync(c)) return [process.execPath, c];
  const which = spawnSync('sh', ['-c', 'command -v node-gyp'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return [which.stdout.trim()];
  return null;
}

// Local Node headers: npm's nodedir setting, else the prefix of this node, else /usr (Debian).
function findNodeDir() {
  const cands = [
    process.env.npm_config_nodedir,
    join(dirname(process.execPath), '..'),
    '/usr',
    '/usr/local',
  ];
  for (const c of cands) if (c && existsSync(join(c, 'include', 'node', 'node_api.h'))) return c;
  return null;
}

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const cxx = process.env.CXX || 'g++';
if (!has(cxx) && !has('c++') && !has('clang++')) warn('no C++ compiler found');
if (!has('make')) warn('`make` not found');
if (!has('python3') && !has('python')) warn('python3 not found (node-gyp needs it)');
const gyp = findNodeGyp();
if (!gyp) warn('node-gyp not found');
const nodedir = findNodeDir();
if (!nodedir) warn('Node.js headers (include/node/node_api.h) not found; set `npm config set nodedir <prefix>`');

const args = [...gyp.slice(1), 'rebuild', `--nodedir=${nodedir}`, '--directory', here];
const r = spawnSync(gyp[0], args, {
  cwd: here,
  stdio: quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit',
  encoding: 'utf8',
  env: { ...process.env, npm_config_nodedir: nodedir },
  timeout: 10 * 60 * 1000,
});
if (r.status !== 0 || !existsSync(join(here, 'build', 'Release', 'fbw_kernels.node'))) {
  if (quiet && r.stderr) console.warn(r.stderr.split('\n').slice(-20).join('\n'));
  warn(`node-gyp exited with ${r.status ?? r.signal ?? r.error}`);
}
console.log('fbw: native CPU kernels built (native/build/Release/fbw_kernels.node)');
