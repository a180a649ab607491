// Artifacts derived from the parser: the typed CST declarations (src/syntax/cst.ts) and the
// self-contained railroad diagram (grammar/railroad.html). A test checks both are up to date;
// regenerate with `node dist/src/syntax/generated.js` after changing the grammar.
import { createSyntaxDiagramsCode, generateCstDts } from 'chevrotain';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fbwParser } from './parser.js';

/** TypeScript interfaces for every CST node of the grammar. */
export function cstTypesSource(): string {
  const body = generateCstDts(fbwParser.getGAstProductions(), { includeVisitorInterface: false });
  return `// Generated from the parser by src/syntax/generated.ts: do not edit by hand.\n/* eslint-disable */\n${body}`;
}

/** The railroad diagram page with Chevrotain's diagram scripts and CSS inlined, so it opens offline. */
export function railroadHtml(): string {
  // chevrotain's exports map hides package.json; its entry sits at <root>/lib/src/api.js
  const entry = fileURLToPath(import.meta.resolve('chevrotain'));
  const root = join(dirname(entry), '..', '..');
  const read = (p: string): string => readFileSync(join(root, 'diagrams', p), 'utf8');
  let html = createSyntaxDiagramsCode(fbwParser.getSerializedGastProductions(), { resourceBase: 'RES/', css: 'RES/diagrams.css' });
  html = html.replace(/<link rel='stylesheet' href='RES\/diagrams.css'>/, () => `<style>\n${read('diagrams.css')}\n</style>`);
  html = html.replace(/<script src='RES\/([^']+)'><\/script>/g, (_m, p: string) => `<script>\n${read(p).replace(/<\/script/gi, '<\\/script')}\n</script>`);
  return html.replace('<!-- This is a generated file -->', '<!-- Generated from src/syntax/parser.ts by src/syntax/generated.ts; self-contained, opens offline. -->\n<title>fbw grammar</title>');
}

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root, from dist/src/syntax/ or src/syntax/. */
export const repoRoot = here.includes(`${'/dist/'}`) ? join(here, '..', '..', '..') : join(here, '..', '..');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(join(repoRoot, 'src', 'syntax', 'cst.ts'), cstTypesSource());
  writeFileSync(join(repoRoot, 'grammar', 'railroad.html'), railroadHtml());
  console.log('wrote src/syntax/cst.ts and grammar/railroad.html');
}
