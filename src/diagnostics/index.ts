// Public surface of diagnostics/.
export * from './diagnostic.js';
export * from './codes.js';
export * from './formatDiagnostic.js';
