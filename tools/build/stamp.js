/**
 * The compiled program (`npm run build`: tsc into bin/, then this script) is run only when it was built from the
 * sources as they are: the build records a digest of the program's TypeScript sources in bin/, and main.js
 * compares it with the sources' digest at every run (about 5 ms).
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

/** What the compiled program is made of: index.ts and what it imports, and the compiler options. */
const SOURCES = ["index.ts", "startup.ts", "program.ts", "components", "istio", "model", "tsconfig.json", "tsconfig.build.json"];
const STAMP = path.join("bin", "sources.sha256");

function files(root, entry) {
    const full = path.join(root, entry);
    if (!fs.statSync(full).isDirectory()) {
        return [entry];
    }
    return fs.readdirSync(full).sort().flatMap(e => files(root, path.join(entry, e)));
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

module.exports = { SOURCES, STAMP, sourcesDigest, builtFromSources };

if (require.main === module) {
    const root = path.resolve(__dirname, "..", "..");
    fs.writeFileSync(path.join(root, STAMP), sourcesDigest(root));
}
