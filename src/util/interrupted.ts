// The one "stopped because asked to" error. Training loops, merges and stage runners throw it when
// their AbortSignal fires (Ctrl-C, or a full disk stopping the run); the worker reports it as an
// interrupted stage. It sits at the bottom so ml/ and stages/ throw the same class: nothing translates.

/** Work stopped because its abort signal fired. */
export class Interrupted extends Error {
  /**
   * @param step the step the work stopped at: its last checkpoint where it checkpoints, 0 when
   *             nothing was kept (a merge writes no output when interrupted)
   * @param what what stopped, for the message: 'training', 'merge', ...
   */
  constructor(readonly step: number, what = 'work', kept = step > 0 ? ' (checkpoint written)' : '; no output was written') {
    super(`${what} interrupted at step ${step}${kept}`);
    this.name = 'Interrupted';
  }
}
