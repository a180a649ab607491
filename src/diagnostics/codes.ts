// The catalogue of diagnostic codes. Codes are stable: never renumber, only add.
// grammar/README.md lists them with an example each; a test checks every code has a fixture.

/** Code -> one-line meaning (grammar/README.md has the table). */
export const DIAGNOSTIC_CODES = {
  FBW0001: 'syntax error',
  FBW0002: 'unknown keyword',
  FBW0003: 'invalid character or unterminated string',
  FBW0101: 'unknown model',
  FBW0102: 'unknown dataset',
  FBW0103: 'unknown pool or name',
  FBW0104: 'unknown method',
  FBW0105: 'unknown parameter',
  FBW0106: 'parameter value fails its schema',
  FBW0107: 'parameter given twice',
  FBW0108: 'mutually exclusive parameters',
  FBW0109: 'unknown device',
  FBW0110: 'name used before its definition',
  FBW0111: 'name defined twice',
  FBW0112: 'method used in the wrong place',
  FBW0113: 'merge needs at least two models',
  FBW0114: 'merged models differ in architecture or base model',
  FBW0115: 'eval needs a model',
  FBW0116: 'name refers to the wrong kind of thing',
  FBW0117: 'positional argument where a named one is needed',
  FBW0118: 'invalid dataset declaration',
  FBW0119: 'task listed twice',
  FBW0120: 'empty list',
  FBW0121: 'more than one report statement',
  FBW0122: 'save needs exactly one model',
  FBW0123: 'statement has no effect',
  FBW0124: 'invalid model declaration',
  FBW0125: 'pretrain continues from exactly one model',
  FBW0126: 'method does not fit the model architecture',
  FBW0127: 'file has no statements',
  FBW0128: 'let defined but never used',
  FBW0129: 'local model or data path does not exist',
  FBW0130: 'checkpoint not found (hub repo missing from the cache, or no such path)',
  FBW0131: 'checkpoint does not fit its base model',
  FBW0132: 'model pool without a base model',
} as const;

/** A known code. */
export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;
