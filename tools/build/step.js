/**
 * Runs a kubectl step of the program (`node tools/build/step.js components/rolloutStep`, from the project's root): its
 * module's `main()`, compiled from bin/ as main.js runs the program, so a step needs no dev dependency after
 * `npm ci --omit=dev && npm run build`, and never runs a stale build (tools/build/stamp.js requireProgram).
 */
"use strict";
// Node's module compile cache, as main.js enables it (it says why).
require("module").enableCompileCache();
const path = require("path");
const { requireProgram } = require("./stamp");

let step;
try {
    step = requireProgram(path.resolve(__dirname, "..", ".."), process.argv[2], () => process.stderr.write(
        "istio-mesh: bin/ was not built from these sources, so this step runs them through ts-node; `npm run build` compiles them.\n"));
} catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
}
step.main();
