/**
 * The program's entry (Pulumi.yaml `main`). Runs the program compiled to bin/ by `npm run build` when it was built
 * from the sources as they are; otherwise runs the TypeScript sources through ts-node (about a second longer per
 * run), so a missing or stale build is never what runs (tools/build/stamp.js requireProgram).
 */
"use strict";
// Node's module compile cache (module.enableCompileCache, Node >= 22.1): what this process loads after this line, the
// SDKs and TypeScript among them (@pulumi/pulumi's index loads it, 9 MB, for function serialization the program never
// uses), is compiled once and read back from disk on later runs (README, Performance). Under os.tmpdir(), or
// NODE_COMPILE_CACHE; NODE_DISABLE_COMPILE_CACHE=1 turns it off. It changes how fast code loads, never what it does.
require("module").enableCompileCache();
const { requireProgram } = require("./tools/build/stamp");

module.exports = requireProgram(__dirname, "index", () => require("@pulumi/pulumi").log.info(
    "istio-mesh: bin/ was not built from these sources, so they run through ts-node (about 1 s longer); `npm run build` compiles them."));
