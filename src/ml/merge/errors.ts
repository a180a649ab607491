// Expected failures of a merge, each naming the file, tensor or parameter at fault and how to
// fix it. Plain Error subclasses: src/ml/ knows nothing of Effect; callers map them.

/** Inputs that cannot be merged tensor by tensor: a missing/extra tensor or a shape mismatch. */
export class MergeInputMismatch extends Error {
  constructor(readonly tensor: string, readonly file: string, readonly reason: string) {
    super(`${file}: tensor '${tensor}' ${reason}`);
    this.name = 'MergeInputMismatch';
  }
}

/** A merge parameter that is unknown, of the wrong type or out of range. */
export class MergeParamError extends Error {
  constructor(readonly method: string, readonly param: string, reason: string) {
    super(`${method}: parameter '${param}' ${reason}`);
    this.name = 'MergeParamError';
  }
}

/** A method name that is not in the registry (with a did-you-mean hint). */
export class UnknownMergeMethod extends Error {
  constructor(readonly method: string, hint: string | undefined, known: readonly string[]) {
    super(`unknown merge method '${method}'${hint ? ` — did you mean '${hint}'?` : ''} (known: ${known.join(', ')})`);
    this.name = 'UnknownMergeMethod';
  }
}

/** A merge that cannot run with the given inputs (e.g. task arithmetic without a base model). */
export class MergeInputError extends Error {
  constructor(readonly method: string, reason: string) {
    super(`${method}: ${reason}`);
    this.name = 'MergeInputError';
  }
}

