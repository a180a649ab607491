// fbw's version, read once from the package.json it ships with (dist/src/util → repo root),
// so reports and `--version` name the same release.
import { fileURLToPath } from 'node:url';
import { jsonFormat } from './jsonFormat.js';

/** The one field of package.json fbw reads. */
const packageJsonFormat = jsonFormat<{ readonly version: string }>('package.json', { type: 'object', required: ['version'], properties: { version: { type: 'string' } } });

let cached: string | undefined;

/** The `version` field of fbw's package.json ('unknown' if it cannot be read). */
export function fbwVersion(): string {
  if (cached !== undefined) return cached;
  try {
    cached = packageJsonFormat.read(fileURLToPath(new URL('../../../package.json', import.meta.url))).version;
  } catch {
    cached = 'unknown';
  }
  return cached;
}
