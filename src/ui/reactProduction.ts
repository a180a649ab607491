// React picks its development or production build once, when first loaded, from NODE_ENV;
// the development build renders several times slower. Imported before react/ink by the UI
// entry so the live view uses the production build; reactEnvRestore.ts puts NODE_ENV back
// right after, so worker processes forked later inherit the user's environment unchanged.

/** NODE_ENV as it was before the UI loaded React. */
export const previousNodeEnv: string | undefined = process.env['NODE_ENV'];
if (previousNodeEnv === undefined) process.env['NODE_ENV'] = 'production';
