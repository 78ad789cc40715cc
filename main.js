/**
 * The program's entry (Pulumi.yaml `main`). Runs the program compiled to bin/ by `npm run build` when it was built
 * from the sources as they are; otherwise runs the TypeScript sources through ts-node (about a second longer per
 * run), so a missing or stale build is never what runs.
 */
"use strict";
const path = require("path");
const { builtFromSources } = require("./tools/build/stamp");

if (builtFromSources(__dirname)) {
    module.exports = require("./bin/index.js");
} else {
    require("@pulumi/pulumi").log.info("istio-mesh: bin/ was not built from these sources, so they run through ts-node " +
        "(about 1 s longer); `npm run build` compiles them.");
    let tsNode;
    try {
        tsNode = require("ts-node");
    } catch {
        throw new Error("istio-mesh: bin/ was not built from these sources and ts-node is not installed: run `npm ci && npm run build`.");
    }
    tsNode.register({ transpileOnly: true, project: path.join(__dirname, "tsconfig.json") });
    module.exports = require("./index.ts");
}
