#!/usr/bin/env node
// `npm run bench -- NAME`: run one benchmark (compiled from bench/NAME.ts); its last line is
// `RESULT name=... value=... unit=... anchor=... ratio=...`. Without NAME, list them.
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const names = readdirSync(here).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3)).sort();
const name = process.argv[2];
if (!name || !names.includes(name)) {
  if (name) console.error(`unknown benchmark '${name}'`);
  console.log(`benchmarks: ${names.join(', ')}\nusage: npm run bench -- NAME [args]`);
  process.exit(name ? 2 : 0);
}
const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const js = join(root, 'dist', 'bench', `${name}.js`);
if (!existsSync(js)) { console.error(`missing ${js}`); process.exit(1); }
const r = spawnSync(process.execPath, ['--expose-gc', js, ...process.argv.slice(3)], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
