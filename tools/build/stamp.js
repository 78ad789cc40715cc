/**
 * The compiled program (`npm run build`: tsc into bin/, then this script) is run only when it was built from the
 * sources as they are: the build records a digest of the program's TypeScript sources in bin/, and main.js and the
 * kubectl steps (tools/build/step.js) compare it with the sources' digest at every run (about 5 ms).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

/** What the compiled program is made of: index.ts, the library entries (lib/) and what they import, and the compiler options. */
const SOURCES = ["index.ts", "program.ts", "lib", "components", "istio", "model", "policies", "tsconfig.json", "tsconfig.build.json"];
const STAMP = path.join("bin", "sources.sha256");

function files(root, entry) {
    const full = path.join(root, entry);
    if (!fs.statSync(full).isDirectory()) {
        return [entry];
    }
    // What npm never packs is left out, so a package installed from `npm pack` (README, "As a library") has the same
    // digest: a dependency folder (an install inside policies/) and npm's own settings.
    return fs.readdirSync(full).sort().filter(e => e !== "node_modules" && e !== ".npmrc").flatMap(e => files(root, path.join(entry, e)));
}

/** sha256 over each source's path and content, in a fixed order. */
function sourcesDigest(root) {
    const hash = crypto.createHash("sha256");
    for (const file of SOURCES.flatMap(entry => files(root, entry))) {
        hash.update(`${file}\0`).update(fs.readFileSync(path.join(root, file))).update("\0");
    }
    return hash.digest("hex");
}

/** Whether bin/ holds the program compiled from the sources under `root` as they are now. */
function builtFromSources(root) {
    try {
        return fs.readFileSync(path.join(root, STAMP), "utf8") === sourcesDigest(root);
    } catch {
        return false;
    }
}

/**
 * A module of the program under `root` ("index", "components/rolloutStep"): compiled, from bin/, when bin/ was built
 * from the sources as they are; otherwise the TypeScript source through ts-node, after `onSources()` (say so, since it
 * costs about a second); without ts-node (`npm ci --omit=dev`), an error naming the build. Never a stale build.
 */
function requireProgram(root, name, onSources) {
    if (builtFromSources(root)) {
        return require(path.join(root, "bin", `${name}.js`));
    }
    let tsNode;
    try {
        tsNode = require(require.resolve("ts-node", { paths: [root] }));
    } catch {
        throw new Error("istio-mesh: bin/ was not built from these sources and ts-node (a dev dependency) is not installed: " +
            "run 'npm run build' in the project (after 'npm ci', or 'npm ci --omit=dev').");
    }
    onSources();
    tsNode.register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
    return require(path.join(root, `${name}.ts`));
}

module.exports = { SOURCES, STAMP, sourcesDigest, builtFromSources, requireProgram };

if (require.main === module) {
    const root = path.resolve(__dirname, "..", "..");
    fs.writeFileSync(path.join(root, STAMP), sourcesDigest(root));
}
