// The UI's one entry point: the scheduler feeds every RunEvent to a renderer chosen by
// mode (tty: live ink view; plain: greppable lines; json: the events themselves).

import './reactProduction.js';
import React from 'react';
import { render, type Instance } from 'ink';
import type { RunEvent } from '../protocol/events.js';
import { initialRunState, reduceRun, type RunState } from './reduceRun.js';
import { RunView } from './RunView.js';
import { PlainLines } from './plainLines.js';
import { readFinishedReport, type FinishedReport } from './finishedReport.js';
import './reactEnvRestore.js';

export { reduceRun, replayRun, initialRunState, countStages, etaSeconds, type RunState, type StageState, type StageStatus } from './reduceRun.js';
export { RunView } from './RunView.js';
export { PlainLines } from './plainLines.js';

/** Options of createRenderer; `columns` is the width at start (a resize of `out` wins), `color` defaults to !NO_COLOR. */
export interface RendererOptions {
  readonly mode: 'tty' | 'plain' | 'json';
  readonly out: NodeJS.WritableStream;
  readonly columns?: number;
  readonly color?: boolean;
  /** terminal height (tty); defaults to out.rows */
  readonly rows?: number;
  /** minimum milliseconds between frames (tty); default 200 (≤ 5 fps) */
  readonly frameMs?: number;
}

/** What the scheduler holds: push events, then close once after `finished`. */
export interface Renderer {
  onEvent(e: RunEvent): void;
  close(): Promise<void>;
}

/** Default frame spacing of the live view: at most 5 frames per second. */
export const FRAME_MS = 200;

/** Build the renderer for a mode. */
export function createRenderer(opts: RendererOptions): Renderer {
  const color = opts.color ?? !('NO_COLOR' in process.env && process.env['NO_COLOR'] !== '');
  switch (opts.mode) {
    case 'json':
      return {
        onEvent: (e) => void opts.out.write(JSON.stringify(e) + '\n'),
        close: async () => {},
      };
    case 'plain': {
      const plain = new PlainLines(color);
      return {
        onEvent: (e) => {
          const lines = plain.lines(e);
          if (lines.length > 0) opts.out.write(lines.join('\n') + '\n');
        },
        close: async () => {},
      };
    }
    case 'tty':
      return createTtyRenderer(opts, color);
    default: {
      const never: never = opts.mode;
      return never;
    }
  }
}

type TtyOut = NodeJS.WritableStream & { columns?: number; rows?: number; on(ev: 'resize', f: () => void): unknown; off?(ev: 'resize', f: () => void): unknown };

/** A size the terminal reports, else COLUMNS/LINES, else the usual 80×24 (a pty can say 0×0). */
export function terminalSize(reported: { columns?: number; rows?: number }, env: NodeJS.ProcessEnv = process.env): { columns: number; rows: number } {
  const pick = (n: number | undefined, envName: string, fallback: number): number => {
    if (n !== undefined && n > 0) return n;
    const e = Number(env[envName]);
    return Number.isInteger(e) && e > 0 ? e : fallback;
  };
  return { columns: pick(reported.columns, 'COLUMNS', 80), rows: pick(reported.rows, 'LINES', 24) };
}

/**
 * The stream ink writes to, with the size filled in when the pty reports 0×0: ink lays out to
 * `columns` and, when the frame is as tall as `rows`, clears the whole screen every frame.
 */
function sizedStream(out: TtyOut): TtyOut {
  if ((out.columns ?? 0) > 0 && (out.rows ?? 0) > 0) return out;
  return new Proxy(out, {
    get(target, key) {
      if (key === 'columns' || key === 'rows') return terminalSize(target)[key];
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

function createTtyRenderer(opts: RendererOptions, color: boolean): Renderer {
  const out = sizedStream(opts.out as TtyOut);
  const frameMs = opts.frameMs ?? FRAME_MS;
  let state: RunState = initialRunState;
  let instance: Instance | undefined;
  let timer: NodeJS.Timeout | undefined;
  let lastFrame = 0;
  let closed = false;

  let columns = opts.columns || out.columns || 80;
  let report: FinishedReport | undefined;
  // finished stages grouped per frame: each group becomes one <Static> item
  const batches: string[][] = [];
  let batched = 0;
  const element = (): React.ReactElement => {
    if (state.finishedOrder.length > batched) {
      batches.push(state.finishedOrder.slice(batched));
      batched = state.finishedOrder.length;
    }
    return React.createElement(RunView, { state, columns, rows: opts.rows || out.rows || 24, color, now: Date.now(), batches: batches.slice(), ...(report ? { report } : {}) });
  };

  const draw = (): void => {
    timer = undefined;
    lastFrame = Date.now();
    if (instance === undefined) {
      instance = render(element(), { stdout: out as NodeJS.WriteStream, patchConsole: false, exitOnCtrlC: false, maxFps: Math.max(1, Math.round(1000 / frameMs)) });
    } else {
      instance.rerender(element());
    }
  };
  const schedule = (): void => {
    if (closed || timer !== undefined) return;
    const wait = Math.max(0, frameMs - (Date.now() - lastFrame));
    timer = setTimeout(draw, wait);
  };
  // the clock (elapsed, ETA) moves without events; one frame a second, never keeping the process alive
  const ticker = setInterval(() => { if (state.run !== undefined && state.finished === undefined) schedule(); }, 1000);
  ticker.unref();
  // a resized terminal wins over the width given at start
  const onResize = (): void => {
    columns = out.columns || columns;
    schedule();
  };
  out.on('resize', onResize);

  return {
    onEvent: (e) => {
      state = reduceRun(state, e);
      if (e.event === 'finished' && e.report) report = readFinishedReport(e.report);
      schedule();
    },
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      if (timer !== undefined) clearTimeout(timer);
      out.off?.('resize', onResize);
      if (state.order.length === 0 && state.run === undefined) return;
      draw();
      const inst = instance!;
      inst.unmount();
      await inst.waitUntilExit().catch(() => {});
    },
  };
}
