/** main.js and the kubectl steps run bin/ only when it was built from the sources as they are (tools/build/stamp.js). */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const stamp = require("../../tools/build/stamp") as {
    SOURCES: string[]; STAMP: string; sourcesDigest(root: string): string; builtFromSources(root: string): boolean;
};
const REPO = path.join(__dirname, "..", "..");

const made: string[] = [];

/** A project with one file per source entry, built (stamped) as `npm run build` leaves it. */
function builtProject(): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-stamp-"));
    made.push(root);
    for (const entry of stamp.SOURCES) {
        const file = path.extname(entry) ? entry : path.join(entry, "a.ts");
        fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), `// ${file}\n`);
    }
    fs.mkdirSync(path.join(root, "bin"));
    fs.writeFileSync(path.join(root, stamp.STAMP), stamp.sourcesDigest(root));
    return root;
}

describe("build stamp: the compiled program runs only when built from the sources as they are", () => {
    after(() => made.forEach(dir => fs.rmSync(dir, { recursive: true, force: true })));

    it("a fresh build is current", () => {
        assert.strictEqual(stamp.builtFromSources(builtProject()), true);
    });

    it("an edited, added or renamed source makes it stale", () => {
        const edited = builtProject();
        fs.appendFileSync(path.join(edited, "components", "a.ts"), "export const x = 1;\n");
        assert.strictEqual(stamp.builtFromSources(edited), false);
        const added = builtProject();
        fs.writeFileSync(path.join(added, "model", "b.ts"), "");
        assert.strictEqual(stamp.builtFromSources(added), false);
        const renamed = builtProject();
        fs.renameSync(path.join(renamed, "istio", "a.ts"), path.join(renamed, "istio", "c.ts"));
        assert.strictEqual(stamp.builtFromSources(renamed), false);
    });

    it("no build, or a build of other sources, is not current", () => {
        const none = builtProject();
        fs.rmSync(path.join(none, stamp.STAMP));
        assert.strictEqual(stamp.builtFromSources(none), false);
        const other = builtProject();
        fs.writeFileSync(path.join(other, stamp.STAMP), "0".repeat(64));
        assert.strictEqual(stamp.builtFromSources(other), false);
    });

    it("the digest covers every file the build compiles (tsc -p tsconfig.build.json)", () => {
        const tsc = path.join(REPO, "node_modules", "typescript", "bin", "tsc");
        const compiled = execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json", "--listFilesOnly"], { cwd: REPO, encoding: "utf8" })
            .split("\n").filter(f => f && !f.includes("/node_modules/")).map(f => path.relative(REPO, f));
        assert.ok(compiled.includes("program.ts"), compiled.join(", "));
        const outside = compiled.filter(f => !stamp.SOURCES.some(s => f === s || f.startsWith(`${s}/`)));
        assert.deepStrictEqual(outside, []);
    });

    describe("a step (tools/build/step.js): compiled when built from these sources, else the sources through ts-node, else an error naming the build", () => {
        /** A built project holding a step, "components/step", whose compiled and TypeScript forms say which ran. */
        function projectWithStep(): string {
            const root = builtProject();
            fs.mkdirSync(path.join(root, "tools", "build"), { recursive: true });
            for (const file of ["stamp.js", "step.js"]) {
                fs.copyFileSync(path.join(REPO, "tools", "build", file), path.join(root, "tools", "build", file));
            }
            fs.writeFileSync(path.join(root, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", target: "es2020", rootDir: "." } }));
            fs.writeFileSync(path.join(root, "components", "step.ts"), `export function main(): void { process.stdout.write("sources\\n"); }\n`);
            fs.mkdirSync(path.join(root, "bin", "components"), { recursive: true });
            fs.writeFileSync(path.join(root, "bin", "components", "step.js"), `exports.main = () => process.stdout.write("compiled\\n");\n`);
            fs.writeFileSync(path.join(root, stamp.STAMP), stamp.sourcesDigest(root));
            return root;
        }
        const runStep = (root: string) => spawnSync(process.execPath, ["tools/build/step.js", "components/step"], { cwd: root, encoding: "utf8" });

        it("built from these sources: the compiled step runs, without ts-node", () => {
            const r = runStep(projectWithStep());
            assert.deepStrictEqual([r.status, r.stdout, r.stderr], [0, "compiled\n", ""]);
        });

        it("with Node's module compile cache on, under the temp directory (main.js and the steps enable it)", () => {
            const root = projectWithStep();
            const tmp = path.join(root, "tmp");
            fs.mkdirSync(tmp);
            const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
            delete env.NODE_COMPILE_CACHE;
            delete env.NODE_DISABLE_COMPILE_CACHE;
            const r = spawnSync(process.execPath, ["tools/build/step.js", "components/step"], { cwd: root, encoding: "utf8", env });
            assert.deepStrictEqual([r.status, r.stdout], [0, "compiled\n"], r.stderr);
            assert.ok(fs.readdirSync(path.join(tmp, "node-compile-cache")).length > 0, "the cache holds the compiled modules");
        });

        it("stale, with ts-node installed: the sources run, and the step says so", () => {
            const root = projectWithStep();
            fs.appendFileSync(path.join(root, "components", "step.ts"), "// edited after the build\n");
            fs.symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"));
            const r = runStep(root);
            assert.deepStrictEqual([r.status, r.stdout], [0, "sources\n"], r.stderr);
            assert.match(r.stderr, /bin\/ was not built from these sources, so this step runs them through ts-node; `npm run build` compiles them/);
        });

        it("stale, without ts-node (npm ci --omit=dev): fails naming the build, runs nothing", () => {
            const root = projectWithStep();
            fs.appendFileSync(path.join(root, "components", "step.ts"), "// edited after the build\n");
            const r = runStep(root);
            assert.deepStrictEqual([r.status, r.stdout], [1, ""]);
            assert.match(r.stderr, /^istio-mesh: bin\/ was not built from these sources and ts-node \(a dev dependency\) is not installed: run 'npm run build' in the project/);
        });
    });
});
