#!/usr/bin/env node
// Thin entry: the CLI lives in src/cli (compiled to dist/ by `npm ci` via the prepare script).
import { main, exitQuietlyOnClosedPipe } from '../dist/src/cli/main.js';
exitQuietlyOnClosedPipe();
main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
