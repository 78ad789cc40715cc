/**
 * The program's entry (Pulumi.yaml `main`). Runs the program compiled to bin/ by `npm run build` when it was built
 * from the sources as they are; otherwise runs the TypeScript sources through ts-node (about a second longer per
 * run), so a missing or stale build is never what runs (tools/build/stamp.js requireProgram).
 */
"use strict";
const { requireProgram } = require("./tools/build/stamp");

module.exports = requireProgram(__dirname, "index", () => require("@pulumi/pulumi").log.info(
    "istio-mesh: bin/ was not built from these sources, so they run through ts-node (about 1 s longer); `npm run build` compiles them."));
