// Undo reactProduction.ts once React and ink are loaded (see there for why).
import { previousNodeEnv } from './reactProduction.js';

if (previousNodeEnv === undefined) delete process.env['NODE_ENV'];

/** Whether the UI switched React to its production build. */
export const switchedToProduction = previousNodeEnv === undefined;
