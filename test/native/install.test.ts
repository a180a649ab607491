// The install-time build never fails `npm ci` (no compiler → a warning, fbw uses wasm), and a
// broken or missing addon makes registerNativeBackend say why instead of throwing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

test('native/build.mjs succeeds with a warning when no compiler is on PATH', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-native-'));
  try {
    cpSync(join(root, 'native', 'build.mjs'), join(dir, 'native', 'build.mjs'));
    cpSync(join(root, 'native', 'binding.gyp'), join(dir, 'native', 'binding.gyp'));
    const r = spawnSync(process.execPath, [join(dir, 'native', 'build.mjs'), '--quiet'], {
      cwd: dir, encoding: 'utf8', env: { PATH: join(dir, 'no-such-bin'), HOME: dir },
    });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /native CPU kernels not built \(no C\+\+ compiler found\)/);
    assert.match(r.stderr, /wasm/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FBW_SKIP_NATIVE=1 skips the build without failing', () => {
  const r = spawnSync(process.execPath, [join(root, 'native', 'build.mjs')], {
    encoding: 'utf8', env: { ...process.env, FBW_SKIP_NATIVE: '1' },
  });
  assert.is(r.status, 0);
  assert.match(r.stderr, /FBW_SKIP_NATIVE=1/);
});

/** registerNativeBackend's answer in a fresh process with `env`. */
function statusWith(env: Record<string, string>): { ok: boolean; reason?: string; name?: string } {
  const mod = pathToFileURL(join(root, 'dist', 'src', 'ml', 'backend', 'native', 'registerNativeBackend.js')).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e',
    `const m = await import(${JSON.stringify(mod)}); console.log(JSON.stringify(await m.registerNativeBackend()));`], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env },
  });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; reason?: string };
}

test('a corrupt addon file is reported with its path and how to rebuild', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fbw-native-'));
  try {
    const bogus = join(dir, 'fbw_kernels.node');
    writeFileSync(bogus, 'not a shared object');
    const s = statusWith({ FBW_NATIVE_ADDON: bogus });
    assert.is(s.ok, false);
    assert.ok(s.reason!.includes(bogus), s.reason);
    assert.match(s.reason!, /node native\/build\.mjs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FBW_NATIVE=0 disables the backend with a reason; by default it registers as fbw-native', () => {
  const off = statusWith({ FBW_NATIVE: '0' });
  assert.is(off.ok, false);
  assert.match(off.reason!, /FBW_NATIVE=0/);
  const on = statusWith({});
  assert.is(on.ok, true, on.reason);
  assert.is(on.name, 'fbw-native');
});

test.run();
