// Test helper: load a RunEvent fixture (JSON lines, the journal's format) shipped in test/ui/fixtures/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { RunEvent } from '../../src/protocol/events.js';

/** Repository root, found from this compiled file (dist/test/ui/ → ../../..). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The events of test/ui/fixtures/NAME.jsonl. */
export function loadEvents(name: string): RunEvent[] {
  const text = readFileSync(path.join(repoRoot, 'test/ui/fixtures', `${name}.jsonl`), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as RunEvent);
}
