/** startup.ts: the SDK's imports the program never uses are loaded on their first use, not when the SDK loads. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const REPO = path.join(__dirname, "..", "..");

/**
 * Runs `script` in a fresh node process after startup.ts (transpiled, loaded as a module of the repository's root,
 * as bin/startup.js is): this process has TypeScript loaded already (ts-node), which startup.ts leaves alone.
 */
function afterStartup(script: string): any {
    const js = ts.transpileModule(fs.readFileSync(path.join(REPO, "startup.ts"), "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: true },
    }).outputText;
    const child = `
        const Module = require("module"), path = require("path"), util = require("util");
        const file = path.join(${JSON.stringify(REPO)}, "startup.js");
        const startup = new Module(file);
        startup.filename = file;
        startup.paths = Module._nodeModulePaths(path.dirname(file));
        startup._compile(${JSON.stringify(js)}, file);
        const fileOf = (m, from) => require.resolve(m, { paths: [path.dirname(require.resolve(from))] });
        const tsFile = fileOf("typescript", "@pulumi/pulumi/typescript-shim.js");
        const arboristFile = fileOf("@npmcli/arborist", "@pulumi/pulumi/runtime/closure/codePaths.js");
        const deferred = f => util.types.isProxy(require.cache[f] && require.cache[f].exports);
        const arboristFiles = () => Object.keys(require.cache).filter(f => f.includes("@npmcli/arborist/lib/")).length;
        ${script}`;
    const r = spawnSync(process.execPath, ["-e", child], { cwd: REPO, encoding: "utf8" });
    assert.strictEqual(r.status, 0, r.stderr);
    return JSON.parse(r.stdout);
}

describe("startup: the SDK's unused imports are deferred", function () {
    this.timeout(60000);

    it("loading both SDKs loads neither TypeScript nor Arborist", () => {
        const seen = afterStartup(`
            require("@pulumi/pulumi"); require("@pulumi/kubernetes"); require("@pulumi/command");
            console.log(JSON.stringify({ ts: deferred(tsFile), arborist: deferred(arboristFile), arboristFiles: arboristFiles() }));`);
        assert.deepStrictEqual(seen, { ts: true, arborist: true, arboristFiles: 1 });
    });

    it("the first use loads the real module, through the SDK's own import of it", () => {
        const seen = afterStartup(`
            require("@pulumi/pulumi");
            const shim = require("@pulumi/pulumi/typescript-shim.js");
            const version = shim.version;
            console.log(JSON.stringify({ version, ts: deferred(tsFile), kind: typeof shim.createSourceFile,
                arboristClass: typeof require(arboristFile).Arborist, arborist: deferred(arboristFile), arboristFiles: arboristFiles() > 1 }));`);
        assert.deepStrictEqual(seen, {
            version: require("typescript/package.json").version, ts: false, kind: "function",
            arboristClass: "function", arborist: false, arboristFiles: true,
        });
    });
});
