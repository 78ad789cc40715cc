/**
 * istio-mesh as a library, on the real engine: this repository built and packed (`npm run build`, `npm pack`), then
 * examples/mesh, a program of a platform team's own, installed from the tarball as any package is (its own
 * node_modules, no link to this repository) and run through the real `pulumi` CLI in render mode (no cluster): its
 * own provider, its own config keys, its config object passed to `meshArgs`; ts-node type-checks it against the
 * package's declarations. The policy pack runs from its own directory (`--policy-pack <repo>/policies`).
 *
 * Needs from the offline toolchain the pulumi CLI, its Node.js language host, the kubernetes and command providers
 * and the newer Istio minor's charts; without them it is skipped with the reason.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO, toolchainMissing } from "../../demo/local";
import { toolchainOrSkip } from "../support/e2e";

const NEEDED = /^(node|pulumi|pulumi-language-nodejs|pulumi-resource-kubernetes|pulumi-resource-command|charts-[\d.]+)$/;

describe("end to end: istio-mesh as a library (examples/mesh installed from the packed package, the real engine)", function () {
    let dir: string;
    let example: string;
    let env: NodeJS.ProcessEnv;
    let version: string;

    const pulumi = (...args: string[]) => {
        const r = spawnSync("pulumi", [...args, "--non-interactive"], { cwd: example, env, encoding: "utf8", maxBuffer: 1 << 28 });
        return { code: r.status ?? -1, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    };
    const mustPulumi = (...args: string[]) => {
        const r = pulumi(...args);
        assert.strictEqual(r.code, 0, `pulumi ${args.join(" ")}:\n${r.out.slice(-4000)}`);
        return r.out;
    };

    before(function () {
        const { env: toolchain, NEW } = toolchainOrSkip(this, toolchainMissing(NEEDED));
        version = NEW;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-library-"));
        const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, env: toolchain, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        // As the package is published: compiled (bin/ with its declarations), then packed by npm's own rules.
        run("npm", ["run", "--silent", "build"], REPO);
        const tarball = path.join(dir, run("npm", ["pack", "--silent", "--pack-destination", dir], REPO).trim().split("\n").pop()!);
        example = path.join(dir, "example");
        fs.cpSync(path.join(REPO, "examples", "mesh"), example, { recursive: true, filter: f => !/node_modules|Pulumi\.\w+\.yaml$/.test(f) });
        const pkg = JSON.parse(fs.readFileSync(path.join(example, "package.json"), "utf8"));
        assert.strictEqual(pkg.dependencies["istio-mesh"], "file:../..", "the example depends on this repository");
        pkg.dependencies["istio-mesh"] = `file:${tarball}`;
        fs.writeFileSync(path.join(example, "package.json"), JSON.stringify(pkg, null, 2));
        // From npm's cache where it can (this repository's `npm ci` filled it with the same versions).
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], example);
        fs.mkdirSync(path.join(dir, "state"));
        env = { ...toolchain, PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`, PULUMI_CONFIG_PASSPHRASE: "istio-mesh-library" };
        mustPulumi("stack", "init", "dev");
        mustPulumi("config", "set", "istioVersion", version);
        mustPulumi("config", "set", "chartsDir", `${toolchain.ISTIO_MESH_CHARTS}/{version}`);
        mustPulumi("config", "set", "renderDirectory", path.join(dir, "render"));
    });

    after(() => {
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("installs as a package: its own copy under node_modules, the compiled library current, its declarations typed", () => {
        const installed = path.join(example, "node_modules", "istio-mesh");
        assert.ok(!fs.lstatSync(installed).isSymbolicLink(), "a copy, not a link to this repository");
        const stamp = require(path.join(installed, "tools", "build", "stamp"));
        assert.strictEqual(stamp.builtFromSources(installed), true, "the steps will run the package's compiled JavaScript");
        assert.match(fs.readFileSync(path.join(installed, "bin", "lib", "index.d.ts"), "utf8"), /export \{ IstioMesh, IstioMeshArgs/);
        // The restart step runs the package's compiled step from the project's root (render mode registers no step).
        const command = execFileSync(process.execPath, ["-p", "require('./node_modules/istio-mesh/bin/components/rolloutStep').ROLLOUT_STEP_COMMAND"],
            { cwd: example, encoding: "utf8" }).trim();
        assert.match(command, /&& exec node node_modules\/istio-mesh\/tools\/build\/step\.js components\/rolloutStep$/);
        // A program that passes the wrong thing does not compile: the declarations are types, not `any`.
        fs.writeFileSync(path.join(example, "wrong.ts"), `import { meshArgs } from "istio-mesh";\nexport const a = meshArgs("revisions");\n`);
        const tscBin = require.resolve("typescript/bin/tsc", { paths: [example] });
        const tsc = spawnSync(process.execPath, [tscBin, "--noEmit", "-p", "."], { cwd: example, encoding: "utf8" });
        fs.writeFileSync(path.join(example, "tsconfig.wrong.json"), JSON.stringify({ extends: "./tsconfig.json", files: ["wrong.ts"] }));
        const wrong = spawnSync(process.execPath, [tscBin, "--noEmit", "-p", "tsconfig.wrong.json"], { cwd: example, encoding: "utf8" });
        fs.rmSync(path.join(example, "wrong.ts"));
        fs.rmSync(path.join(example, "tsconfig.wrong.json"));
        assert.strictEqual(tsc.status, 0, `the example type-checks:\n${tsc.stdout}${tsc.stderr}`);
        assert.match(wrong.stdout, /wrong\.ts\(2,\d+\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'RawConfig'/);
    });

    it("a config the mesh refuses fails the preview naming the key, the value and the fix, with nothing registered but the provider", () => {
        mustPulumi("config", "set", "istioVersion", "banana");
        const r = pulumi("preview", "--diff");
        mustPulumi("config", "set", "istioVersion", version);
        assert.notStrictEqual(r.code, 0);
        assert.match(r.out, /invalid istio-mesh stack config \(1 problem\):\n\s+- istio-mesh:revisions\[0\]\.version = "banana": .*Fix: /);
        assert.doesNotMatch(r.out, /IstioMesh|istiod/);
    });

    it("up with the policy pack from its own directory: the mesh rendered, the state exported; a second preview changes nothing", () => {
        const up = mustPulumi("up", "--yes", "--skip-preview", "--policy-pack", path.join(REPO, "policies"));
        assert.match(up, new RegExp(`istio-mesh: this step \\(\\d+ changes, in order\\):\\n.*add control plane stable \\(${version.replace(/\./g, "\\.")}\\)`, "s"));
        const rendered = fs.readdirSync(path.join(dir, "render", "1-manifest"));
        for (const object of ["apps_v1-deployment-istio-system-istiod-stable.yaml", "apps_v1-deployment-istio-ingress-ingress.yaml",
            "admissionregistration.k8s.io_v1-mutatingwebhookconfiguration-default-istio-revision-tag-default.yaml"]) {
            assert.ok(rendered.includes(object), `${object} rendered (of ${rendered.length})`);
        }
        const outputs = JSON.parse(mustPulumi("stack", "output", "--json"));
        assert.deepStrictEqual(Object.keys(outputs.meshState.namespaces).sort(), ["payments", "shop"]);
        assert.strictEqual(outputs.revisions.stable.version, version);
        const again = mustPulumi("preview", "--expect-no-changes", "--policy-pack", path.join(REPO, "policies"));
        assert.match(again, /istio-mesh@v[\d.]+ \(local: .*policies\)/, "the pack was loaded from its directory");
        assert.match(again, /istio-mesh: this step changes nothing in the mesh/);
    });
});
