/**
 * A runner that only deploys: the project installed with `npm ci --omit=dev --omit=optional` (no ts-node, no test
 * tools), `npm run build`, then `pulumi up` on the local KWOK cluster with real injection: the restart step runs
 * compiled JavaScript and the workload ends injected by its revision. With the build made stale, the preview stops
 * at once naming `npm run build`, before anything changes.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { appNamespace, LocalCluster, LocalProject, toolchainEnv, toolchainMissing } from "../../demo/local";
import { injectionMismatches, proxyStatusLines } from "../../demo/proxyStatus";

const missing = toolchainMissing();

describe("end to end: npm ci --omit=dev, npm run build, pulumi up (the steps run compiled)", function () {
    let cluster: LocalCluster;
    let project: LocalProject;
    let charts: string;
    let OLD: string;

    before(function () {
        if (missing) {
            this.test!.title += ` (skipped: toolchain missing: ${missing}; build it with 'npm run toolchain')`;
            this.skip();
        }
        const env = toolchainEnv();
        OLD = env.ISTIO_MESH_ISTIO_OLD!;
        charts = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-charts-"));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, OLD), path.join(charts, OLD));
        cluster = LocalCluster.start(env);
        cluster.apply(appNamespace("shop", ["web"]));
        project = LocalProject.create("production", env, "production");
    });

    after(() => {
        project?.dispose();
        cluster?.stop();
        if (charts) {
            fs.rmSync(charts, { recursive: true, force: true });
        }
    });

    const config = () => ({
        kubernetesVersion: "1.34",
        registry: { hub: "registry.example.com/istio" },
        charts: { localDir: `${charts}/{version}` },
        kubernetes: { kubeconfig: cluster.kubeconfig },
        revisions: [{ version: OLD }],
        namespaces: { shop: "1-30" },
    });

    it("installed without dev or optional dependencies: ts-node cannot be loaded there", () => {
        const r = spawnSync(process.execPath, ["-e", "require.resolve('ts-node')"], { cwd: project.dir, encoding: "utf8" });
        assert.notStrictEqual(r.status, 0, "ts-node resolves in the production install");
        assert.ok(!fs.existsSync(path.join(project.dir, "node_modules", "mocha")), "no dev dependency");
        assert.ok(fs.existsSync(path.join(project.dir, "bin", "components", "rolloutStep.js")), "npm run build compiled the step");
    });

    it("pulumi up installs the revision, labels the namespace and restarts its workload through the compiled step", () => {
        project.setConfig(config());
        const up = project.up();
        assert.match(up.stdout, /shop: restarting deployment\/web \(pods without a sidecar\)/, up.stdout.slice(-4000));
        assert.doesNotMatch(up.stdout + up.stderr, /ts-node/);
        cluster.waitForIstiods(["1-30"]);
        const workloads = cluster.workloadPods(["shop"]);
        assert.deepStrictEqual(injectionMismatches(workloads, () => ({ revision: "1-30", version: OLD })), [], proxyStatusLines(workloads).join("\n"));
    });

    it("a build made stale: the preview fails at once naming `npm run build`, and nothing changes", () => {
        fs.appendFileSync(path.join(project.dir, "components", "rolloutStep.ts"), "// edited after the build\n");
        const before = project.stateResources().map(r => r.urn).sort();
        const r = project.pulumi("up", "--yes", "--skip-preview");
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stdout + r.stderr, /bin\/ was not built from these sources and ts-node \(a dev dependency\) is not installed: run 'npm run build' in the project/);
        assert.deepStrictEqual(project.stateResources().map(x => x.urn).sort(), before);
    });
});
