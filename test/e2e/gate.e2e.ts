/**
 * The health gate end to end: the real pulumi CLI and plugins, a KWOK cluster with real istiods injecting its pods, and a
 * real Prometheus (tools/offline/cluster.sh) scraping every local istiod and the data-plane fixture (demo/dataplane.ts),
 * whose request rates and errors the test sets. Each failure is caused for real: a 5xx rate in the fixture's
 * metrics, failed injection requests counted by a real istiod, a stopped istiod, a stopped Prometheus.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { Traffic } from "../../demo/dataplane";
import { appNamespace, LocalCluster, LocalProject, PulumiResult, toolchainEnv, toolchainMissing } from "../../demo/local";
import { injectionMismatches, proxyStatusLines } from "../../demo/proxyStatus";
import { RawConfig } from "../../model/config";

const missing = toolchainMissing();
const ROLLED_ONTO = "istio-mesh.dev/rolled-onto";

describe("end to end: the health gate with a real Prometheus", function () {
    let env: NodeJS.ProcessEnv;
    let cluster: LocalCluster;
    let project: LocalProject;
    let charts: string;
    let OLD: string;
    let NEW: string;

    before(function () {
        if (missing) {
            this.test!.title += ` (skipped: toolchain missing: ${missing}; build it with 'npm run toolchain')`;
            this.skip();
        }
        env = toolchainEnv();
        [OLD, NEW] = [env.ISTIO_MESH_ISTIO_OLD!, env.ISTIO_MESH_ISTIO_NEW!];
        charts = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-charts-"));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, OLD), path.join(charts, OLD));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, NEW), path.join(charts, NEW));
        cluster = LocalCluster.start(env);
        cluster.apply([...appNamespace("catalog", ["catalog-api"]), ...appNamespace("checkout", ["checkout-api"])]);
        cluster.traffic(HEALTHY);
        project = LocalProject.create("gate", env);
    });

    after(() => {
        project?.dispose();
        cluster?.stop();
        if (charts) {
            fs.rmSync(charts, { recursive: true, force: true });
        }
    });

    const HEALTHY: Traffic[] = [
        { namespace: "catalog", rps: 20, errorRatio: 0, latencyMs: 20 },
        { namespace: "checkout", rps: 20, errorRatio: 0, latencyMs: 20 },
        { namespace: "istio-ingress", gateway: "istio-ingressgateway", rps: 40, errorRatio: 0, latencyMs: 10 },
    ];
    /** Every change watched for 8 s, rates over 8 s: Prometheus scrapes every second. */
    const gate = (extra: Record<string, unknown> = {}) => ({ prometheus: { url: cluster.prometheusUrl }, bake: "8s", window: "8s", ...extra });
    function config(step: Partial<RawConfig>): RawConfig {
        return {
            kubernetesVersion: "1.34", registry: { hub: "registry.example.com/istio" }, charts: { localDir: `${charts}/{version}` },
            kubernetes: { kubeconfig: cluster.kubeconfig }, restartTimeout: "2m", healthGate: gate(), ...step,
        };
    }
    const gateway = (revision: string) => [{ name: "istio-ingressgateway", namespace: "istio-ingress", revision, replicas: 1, serviceType: "ClusterIP" }];
    const output = (r: PulumiResult) => `${r.stdout}\n${r.stderr}`;
    /** What the steps of the last `up` printed (their stdout, as the stack's state records it), and that up's own output. */
    const logs = (r: PulumiResult) => `${output(r)}\n${project.stateResources().filter(x => x.urn.split("::").pop()!.match(/^(health-gate|workload-restarts)/))
        .map(x => (x as any).outputs?.stdout ?? "").join("\n")}`;
    const pods = (ns: string) => cluster.json("get", "pods", "-n", ns).items.map((p: any) => p.metadata.name).sort().join(",");
    const label = (ns: string) => cluster.json("get", "namespace", ns).metadata.labels?.["istio.io/rev"];
    const rolledOnto = (ns: string, d: string) => cluster.json("get", "deployment", d, "-n", ns).spec.template.metadata.annotations?.[ROLLED_ONTO];

    /** `pulumi up` in the background; `during` runs every half second until it ends (it may change the mesh's health). */
    function upWhile(during: () => void, ...args: string[]): Promise<PulumiResult> {
        return new Promise(resolve => {
            const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", ...args], { cwd: project.dir, env: project.env });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", d => { stdout += d; });
            child.stderr.on("data", d => { stderr += d; });
            const timer = setInterval(() => { try { during(); } catch { /* the cluster is busy: next time */ } }, 500);
            child.on("close", code => { clearInterval(timer); resolve({ code: code ?? -1, stdout, stderr }); });
        });
    }

    /** A failed injection request to the real istiod of a revision (wrong content type): its sidecar_injection_failure_total grows. */
    function failInjection(revision: string): void {
        const port = cluster.istiods().find(s => s.revision === revision && s.webhookPort)?.webhookPort;
        if (!port) {
            return;
        }
        const req = https.request({ host: "127.0.0.1", port, path: "/inject", method: "POST", rejectUnauthorized: false,
            headers: { "Content-Type": "text/plain" } }, res => res.resume());
        req.on("error", () => undefined);
        req.end("not an AdmissionReview");
    }

    function assertInjected(revisionOf: Record<string, string>): void {
        const versionOf = (rev: string) => (rev === "1-30" ? OLD : NEW);
        const workloads = cluster.workloadPods(Object.keys(revisionOf));
        const problems = injectionMismatches(workloads, ns => ({ revision: revisionOf[ns], version: versionOf(revisionOf[ns]) }));
        assert.deepStrictEqual(problems, [], proxyStatusLines(workloads).join("\n"));
    }

    it("1. installs 1-30 with the gate on: its control plane's gate passes", () => {
        project.setConfig(config({
            revisions: [{ version: OLD }], tags: { default: "1-30" }, namespaces: { catalog: "default", checkout: "default" }, gateways: gateway("default"),
        }));
        const r = project.up();
        assert.match(logs(r), /health gate after control plane 1-30 \([^)]*\): passed/, logs(r).slice(-3000));
        assert.deepStrictEqual(cluster.nonLoopbackConnections(), [], "the cluster, its istiods, Prometheus and the fixture connect to loopback only");
    });

    it("2. a healthy canary step: the preview shows each gate's checks; up passes every gate", () => {
        project.setConfig(config({
            revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-30", canary: "1-31" },
            namespaces: { catalog: "canary", checkout: "1-31" }, gateways: gateway("canary"),
        }));
        const preview = project.mustPulumi("preview", "--diff");
        // The gate steps' requests (their stdin) and the step's summary: what is watched, where, with which threshold.
        for (const text of [/control plane 1-31 \(/, /injectionFailures/, /healthGate\.controlPlane\.injectionFailures\.max/, /tag canary -> 1-31/,
            /gateway istio-ingress\/istio-ingressgateway -> 1-31/, /source_workload=\\?"istio-ingressgateway/]) {
            assert.match(preview.stdout, text, `${text} not in the preview:\n${preview.stdout.slice(0, 6000)}`);
        }
        const summary = project.mustPulumi("preview").stdout;
        for (const text of [/after wave 1\/2 \(catalog\): 9 checks/, /after wave 2\/2 \(checkout\): 9 checks/]) {
            assert.match(summary, text, `${text} not in the preview's summary:\n${summary.slice(-6000)}`);
        }
        // The plan lists every gate of the step, each check with its value as Prometheus answers now.
        const planned = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "plan/cli.ts", "--stack", "gate", "--format", "json"],
            { cwd: project.dir, env: { ...project.env, KUBECONFIG: cluster.kubeconfig }, encoding: "utf8", maxBuffer: 1 << 26 });
        assert.strictEqual(planned.status, 0, planned.stderr);
        const gates = JSON.parse(planned.stdout).healthGate;
        assert.deepStrictEqual(gates.points.map((p: any) => p.point.replace(/ \(1\.31[^)]*\)/, "")), [
            "control plane 1-31", "tag canary -> 1-31", "gateway istio-ingress/istio-ingressgateway -> 1-31", "wave 1/2 (catalog)", "wave 2/2 (checkout)"]);
        const catalogErrors = gates.points[3].checks.find((c: any) => c.name === "errorRate" && c.where === "namespace catalog");
        assert.deepStrictEqual([catalogErrors.value, catalogErrors.verdict], [0, "pass"], JSON.stringify(catalogErrors));
        assert.ok(gates.points.every((p: any) => p.checks.every((c: any) => c.query && c.verdict)), "every check has its query and verdict");
        const r = project.up();
        for (const point of [/control plane 1-31 \([^)]*\): passed/, /tag canary -> 1-31: passed/, /gateway istio-ingress\/istio-ingressgateway -> 1-31 [^:]*: passed/,
            /wave 1\/2 \(catalog\): passed/, /wave 2\/2 \(checkout\): passed/]) {
            assert.match(logs(r), new RegExp(`health gate after ${point.source}`), logs(r).slice(-4000));
        }
        assert.match(logs(r), /ok errorRate, namespace catalog: 0 \(0%\) \(<= 0\.01 \(1%\)\), before 0 \(0%\)/);
        cluster.waitForIstiods(["1-30", "1-31"]);
        assertInjected({ catalog: "1-31", checkout: "1-31" });
    });

    let afterWave1: Record<string, string> = {};
    it("3. a 5xx spike in catalog after wave 1 stops the up before wave 2: checkout is not restarted, and is named", async () => {
        project.setConfig(config({
            revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-30", canary: "1-31" },
            namespaces: { catalog: "default", checkout: "default" }, gateways: gateway("canary"),
        }));
        const checkoutBefore = pods("checkout");
        let spiked = false;
        const r = await upWhile(() => {
            if (!spiked && rolledOnto("catalog", "catalog-api") === `1-30@${OLD}`) {
                cluster.traffic(HEALTHY.map(t => (t.namespace === "catalog" ? { ...t, errorRatio: 0.5 } : t)));
                spiked = true;
            }
        });
        const text = output(r);
        assert.ok(spiked, "wave 1 restarted catalog");
        assert.notStrictEqual(r.code, 0, text.slice(-3000));
        for (const part of ["health gate after wave 1/2 (catalog): 1 check failed", "errorRate (healthGate.dataPlane.errorRate.max), namespace catalog",
            "is not <= 0.01 (1%)", `query: (sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="catalog",response_code=~"5.."}[8s]))`,
            "revert istio-mesh:namespaces.catalog", "not reached, left for the next 'pulumi up': checkout"]) {
            assert.ok(text.includes(part), `the error lacks "${part}":\n${text.slice(-4000)}`);
        }
        assert.strictEqual(pods("checkout"), checkoutBefore, "wave 2 (checkout) was not restarted");
        assert.strictEqual(rolledOnto("checkout", "checkout-api"), `1-31@${NEW}`, "checkout keeps its record of 1-31");
        afterWave1 = { catalog: pods("catalog") };
        // Where it stopped is in the cluster: the wave's record (the stack's meshState already holds this step's targets).
        const record = cluster.json("get", "configmap", "istio-mesh-health-gate", "-n", "istio-system").data.unhealthy;
        assert.strictEqual(record, `catalog default 1-30@${OLD}`);
        assert.strictEqual(JSON.parse(project.mustPulumi("stack", "output", "meshState", "--json").stdout).namespaces.catalog.revision, "1-30");
    });

    it("4. after recovery, up checks catalog again and goes on with wave 2, restarting nothing twice", async () => {
        cluster.traffic(HEALTHY);
        await new Promise(resolve => setTimeout(resolve, 10_000)); // the 8 s rate window clears of the spike
        const r = project.up();
        assert.strictEqual(pods("catalog"), afterWave1.catalog, "catalog (moved by the failed up) was not restarted again");
        assert.strictEqual(rolledOnto("checkout", "checkout-api"), `1-30@${OLD}`, "checkout restarted onto 1-30");
        assert.match(logs(r), /health gate after the wave an earlier up stopped after \(catalog\), checked again before going on: passed/, logs(r).slice(-3000));
        assert.match(logs(r), /health gate after wave 1\/1 \(checkout\): passed/, logs(r).slice(-3000));
        assert.throws(() => cluster.kubectl("get", "configmap", "istio-mesh-health-gate", "-n", "istio-system"), /NotFound/, "the record is cleared");
        assertInjected({ catalog: "1-30", checkout: "1-30" });
    });

    it("5. injection failures rising on a new control plane stop the step before any namespace moves to it", async () => {
        project.setConfig(config({
            revisions: [{ version: OLD }, { version: NEW }, { name: "next", version: NEW }], tags: { default: "1-30", canary: "1-31" },
            namespaces: { catalog: "next", checkout: "default" }, gateways: gateway("canary"),
        }));
        const catalogBefore = pods("catalog");
        const r = await upWhile(() => { failInjection("next"); failInjection("next"); });
        const text = output(r);
        assert.notStrictEqual(r.code, 0, text.slice(-3000));
        assert.match(text, /health gate after control plane next \([^)]*\): \d+ checks? failed/);
        assert.match(text, /injectionFailures \(healthGate\.controlPlane\.injectionFailures\.max\), revision next: grew by \d+/);
        assert.ok(text.includes(`query: sum(sidecar_injection_failure_total{app="istiod",istio_io_rev="next"})`), text.slice(-3000));
        assert.strictEqual(label("catalog"), "default", "catalog was not relabelled");
        assert.strictEqual(pods("catalog"), catalogBefore, "nothing restarted");
    });

    it("6. a stopped istiod of the new revision stops the step before any namespace moves to it", () => {
        cluster.stopIstiod("next");
        const r = project.pulumi("up", "--yes", "--skip-preview");
        const text = output(r);
        assert.notStrictEqual(r.code, 0, text.slice(-3000));
        assert.match(text, /istiodUp \(healthGate\.controlPlane\.istiodUp\), revision next: 0 is not >= 1/);
        assert.strictEqual(label("catalog"), "default");
    });

    it("7. with Prometheus stopped the gate fails closed, naming the URL; onNoData: skip says so loudly in the preview", () => {
        process.kill(Number(fs.readFileSync(path.join(cluster.dir, "prometheus", "prometheus.pid"), "utf8")), "SIGTERM");
        const r = project.pulumi("up", "--yes", "--skip-preview");
        const text = output(r);
        assert.notStrictEqual(r.code, 0);
        assert.ok(text.includes(`Prometheus could not answer (${cluster.prometheusUrl} unreachable: connect ECONNREFUSED`), text.slice(-3000));
        assert.strictEqual(label("catalog"), "default");
        project.setConfig(config({
            revisions: [{ version: OLD }, { version: NEW }, { name: "next", version: NEW }], tags: { default: "1-30", canary: "1-31" },
            namespaces: { catalog: "next", checkout: "default" }, gateways: gateway("canary"), healthGate: gate({ onNoData: "skip" }),
        }));
        const preview = project.mustPulumi("preview");
        assert.match(preview.stdout, /WARNING: onNoData is skip/);
        assert.match(preview.stdout + preview.stderr, /healthGate\.onNoData is skip/);
    });
});
