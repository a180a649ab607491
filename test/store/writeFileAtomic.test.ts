// The one atomic write: the target holds the old bytes or the new, and no temp file is left behind
// whether the write succeeds or fails.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/util/writeFileAtomic.js';

test('replaces a file and leaves only the file (sync and async)', async () => {
  const d = mkdtempSync(join(tmpdir(), 'fbw-atomic-'));
  writeFileSync(join(d, 'a.json'), 'old');
  writeFileAtomicSync(join(d, 'a.json'), '{"v":1}');
  await writeFileAtomic(join(d, 'sub', 'b.json'), new Uint8Array([1, 2, 3]), { mkdir: true });
  assert.is(readFileSync(join(d, 'a.json'), 'utf8'), '{"v":1}');
  assert.equal([...readFileSync(join(d, 'sub', 'b.json'))], [1, 2, 3]);
  assert.equal(readdirSync(d).sort(), ['a.json', 'sub']);
});

test('a failed replace (the target is a folder) throws and leaves no temp file', async () => {
  const d = mkdtempSync(join(tmpdir(), 'fbw-atomic-'));
  mkdirSync(join(d, 'x', 'inner'), { recursive: true });
  assert.throws(() => writeFileAtomicSync(join(d, 'x'), 'data'));
  await writeFileAtomic(join(d, 'x'), 'data').then(() => assert.unreachable('should throw'), () => undefined);
  assert.equal(readdirSync(d), ['x']);
});

test.run();
