// Prints the -march flag for the addon build: the addon is compiled on the machine that runs it
// (npm install), so tune for it; FBW_NATIVE_MARCH overrides (e.g. "x86-64-v2" for a portable build).
const m = process.env.FBW_NATIVE_MARCH;
if (m) console.log(`-march=${m}`);
else if (process.arch === 'x64') console.log('-march=native');
else console.log('-O3');
