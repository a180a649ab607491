// Public surface of the registry: built-in models, data sets, pools and methods.
export * from './models.js';
export * from './datasets.js';
export * from './methods/index.js';
