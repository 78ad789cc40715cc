/**
 * The data-plane rollout through the real `pulumi` CLI on the local KWOK cluster, with real injection (one real
 * istiod per revision, demo/istiods.ts): adopting a mesh the real istioctl installed restarts nothing; an API server
 * stopped in the middle of a restart wave, then `pulumi refresh` and `pulumi up`, restarts every workload exactly
 * once; a namespace relabelled by hand is taken back and its workloads restarted, also when the program had rolled
 * them onto that revision before and they were restarted by hand; `destroy` leaves the CRDs, the
 * application namespaces and their workloads. "Restarted" is counted on the cluster: a restart is one change of a
 * Deployment's pod template, so its metadata.generation moves by one.
 */
import * as assert from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROLLED_ONTO_ANNOTATION } from "../../istio";
import { RawConfig } from "../../model/config";
import { appNamespace, LocalCluster, LocalProject, toolchainEnv, toolchainMissing } from "../../demo/local";
import { injectionMismatches, proxyStatusLines } from "../../demo/proxyStatus";

const missing = toolchainMissing();
const NAMESPACES = ["shop", "cart", "search"];

/** Blocks for `ms` milliseconds (the harness is synchronous, as LocalCluster is). */
function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe("end to end: the rollout of workloads (adoption, interruption, hand relabel, destroy)", function () {
    let env: NodeJS.ProcessEnv;
    let cluster: LocalCluster;
    let project: LocalProject;
    let charts: string;
    let OLD: string;
    let NEW: string;

    before(function () {
        if (missing) {
            // Reported as pending (skipped) with the reason, never as passed.
            this.test!.title += ` (skipped: toolchain missing: ${missing}; build it with 'npm run toolchain')`;
            this.skip();
        }
        env = toolchainEnv();
        OLD = env.ISTIO_MESH_ISTIO_OLD!;
        NEW = env.ISTIO_MESH_ISTIO_NEW!;
        charts = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-charts-"));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, OLD), path.join(charts, OLD));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, NEW), path.join(charts, NEW));
        cluster = LocalCluster.start(env);
        cluster.apply([...appNamespace("shop", ["web", "api"], true), ...appNamespace("cart", ["cart"], true), ...appNamespace("search", ["search"])]);
        project = LocalProject.create("rollout", env);
    });

    after(() => {
        project?.dispose();
        cluster?.stop();
        if (charts) {
            fs.rmSync(charts, { recursive: true, force: true });
        }
    });

    function config(step: Partial<RawConfig>): RawConfig {
        return {
            kubernetesVersion: "1.34",
            registry: { hub: "registry.example.com/istio" },
            charts: { localDir: `${charts}/{version}` },
            kubernetes: { kubeconfig: cluster.kubeconfig },
            // Generous: after the control plane restarts (step 2) its controllers take a while to pick the rollouts up again.
            restartTimeout: "5m",
            ...step,
        };
    }
    const versionOf = (rev: string) => ({ "1-30": OLD, "1-31": NEW } as Record<string, string>)[rev];

    /** Every workload of each namespace runs the proxy of the revision given for it, injected by that revision. */
    function assertProxies(installed: string[], revisionOf: Record<string, string>): void {
        cluster.waitForIstiods(installed);
        const workloads = cluster.workloadPods(Object.keys(revisionOf));
        const problems = injectionMismatches(workloads, ns => ({ revision: revisionOf[ns], version: versionOf(revisionOf[ns]) }));
        assert.deepStrictEqual(problems, [], `proxy status:\n${proxyStatusLines(workloads).join("\n")}`);
    }
    /** metadata.generation of every Deployment of the application namespaces: a restart moves it by one. */
    const generations = (): Record<string, number> => Object.fromEntries(NAMESPACES.flatMap(ns =>
        cluster.json("get", "deployments", "-n", ns).items.map((d: any) => [`${ns}/${d.metadata.name}`, d.metadata.generation])));
    const pods = (): Record<string, string> => Object.fromEntries(NAMESPACES.map(ns =>
        [ns, cluster.json("get", "pods", "-n", ns).items.map((p: any) => p.metadata.name).sort().join(",")]));
    const restartedSince = (before: Record<string, number>) =>
        Object.entries(generations()).filter(([k, g]) => g !== before[k]).map(([k, g]) => `${k} +${g - before[k]}`).sort();
    const records = () => Object.fromEntries(NAMESPACES.flatMap(ns => cluster.json("get", "deployments", "-n", ns).items
        .map((d: any) => [`${ns}/${d.metadata.name}`, d.spec.template.metadata?.annotations?.[ROLLED_ONTO_ANNOTATION] ?? "(none)"])));
    const label = (ns: string) => cluster.json("get", "namespace", ns).metadata.labels?.["istio.io/rev"];
    const changes = (steps: { op: string; name: string; type: string }[]) =>
        steps.filter(s => s.op !== "same" && s.op !== "read" && s.type !== "pulumi:pulumi:Stack").map(s => `${s.op} ${s.name}`).sort();
    const rolloutStatus = (ns: string) => cluster.kubectl("rollout", "status", "deployment", "-n", ns, "--timeout=120s");
    /** `npm run plan --format json`, as a reviewer runs it before `up`. */
    function plan(): any {
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "plan/cli.ts", "--stack", "rollout", "--format", "json"],
            { cwd: project.dir, env: { ...project.env, KUBECONFIG: cluster.kubeconfig }, encoding: "utf8", maxBuffer: 1 << 26 });
        assert.strictEqual(r.status, 0, r.stderr);
        return JSON.parse(r.stdout);
    }
    /** Stops (or starts) the cluster's control plane: etcd, kube-apiserver, controllers; its data stays. */
    function controlPlane(action: "stop" | "start"): void {
        const r = spawnSync("kwokctl", ["--name", "istio-mesh", action, "cluster"],
            { env: { ...cluster.env, KWOK_WORKDIR: path.join(cluster.dir, "kwok") }, encoding: "utf8" });
        assert.strictEqual(r.status, 0, `kwokctl ${action} cluster: ${r.stdout}${r.stderr}`);
    }

    const adopted = () => config({ revisions: [{ version: OLD }], namespaces: { shop: "1-30", cart: "1-30", search: "1-30" } });

    it("1. adoption: a mesh installed by the real istioctl, pods injected by it; the first up and a re-run restart nothing", () => {
        const istioctl = path.join(env.ISTIO_MESH_TOOLCHAIN!, "bin", `istioctl-${OLD}`);
        const install = spawnSync(istioctl, ["install", "-y", "--kubeconfig", cluster.kubeconfig, "--revision", "1-30",
            "--set", "profile=minimal", "--set", "hub=registry.example.com/istio", "--set", `tag=${OLD}`, "--readiness-timeout", "3m"],
        { env: cluster.env, encoding: "utf8" });
        assert.strictEqual(install.status, 0, `istioctl install: ${install.stdout}\n${install.stderr}`);
        cluster.waitForIstiods(["1-30"]);
        // As its operators did it by hand: label each namespace with the revision, restart its workloads.
        for (const ns of NAMESPACES) {
            cluster.kubectl("label", "namespace", ns, "istio.io/rev=1-30", "istio-injection-", "--overwrite");
            cluster.kubectl("rollout", "restart", "deployment", "-n", ns);
            rolloutStatus(ns);
        }
        assertProxies(["1-30"], { shop: "1-30", cart: "1-30", search: "1-30" });
        const before = { generations: generations(), pods: pods() };

        // The documented adoption path: kubernetes.adoptExisting lets the provider take over what istioctl created.
        const adopting = adopted();
        project.setConfig({ ...adopting, kubernetes: { kubeconfig: cluster.kubeconfig, adoptExisting: true } });
        const report = plan();
        assert.deepStrictEqual(report.upgrade.rollout.waves, [], "the plan restarts nothing");
        assert.ok(report.namespaces.every((n: any) => !n.restart && n.workloads === 0), JSON.stringify(report.namespaces));
        project.up();
        assert.deepStrictEqual(restartedSince(before.generations), [], "no workload restarted");
        assert.deepStrictEqual(pods(), before.pods, "no application pod replaced");
        assert.ok(Object.values(records()).every(r => r === "(none)"), "nothing was rolled");
        assert.deepStrictEqual(changes(project.previewSteps()), [], "a re-run shows no change");
        // Adoption done: removing the key changes the provider's two settings and nothing else.
        project.setConfig(adopted());
        assert.deepStrictEqual(changes(project.previewSteps()), ["update cluster"], "removing adoptExisting updates the provider only");
        project.up();
        assert.deepStrictEqual(changes(project.previewSteps()), [], "then a re-run shows no change");
        assert.deepStrictEqual(pods(), before.pods, "and restarts nothing");
    });

    it("2. the API server stops in the middle of a restart wave; refresh and up restart every workload exactly once", () => {
        // A slow rollout in the first wave (cart: waves go by namespace name), so the control plane can be stopped
        // while it is awaited: 60 s, as noticing the record takes seconds on 2 busy cores.
        cluster.kubectl("patch", "deployment", "cart", "-n", "cart", "--type=merge", "-p", JSON.stringify({ spec: { minReadySeconds: 60 } }));
        rolloutStatus("cart");
        const before = generations();
        const moved = config({
            revisions: [{ version: OLD }, { version: NEW }], namespaces: { shop: "1-31", cart: "1-31", search: "1-30" },
            rollout: { parallelNamespaces: 1 },
        });
        project.setConfig(moved);
        const up = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], { cwd: project.dir, env: project.env });
        let output = "";
        up.stdout.on("data", d => { output += d; });
        up.stderr.on("data", d => { output += d; });
        const exited = new Promise<number>(resolve => up.on("exit", code => resolve(code ?? -1)));
        return (async () => {
            const rolled = `1-31@${NEW}`;
            let seen = false;
            for (const deadline = Date.now() + 600_000; Date.now() < deadline && up.exitCode === null && !seen; await new Promise(r => setTimeout(r, 300))) {
                try {
                    seen = records()["cart/cart"] === rolled;
                } catch {
                    // the API server is busy; try again
                }
            }
            assert.ok(seen, `cart/cart was never rolled onto ${rolled} while up ran:\n${output.slice(-3000)}`);
            const seenAt = Date.now();
            controlPlane("stop");
            const stoppedAfter = `control plane stopped ${((Date.now() - seenAt) / 1000).toFixed(1)} s after the record was seen`;
            const code = await exited;
            assert.notStrictEqual(code, 0, "up fails while the API server is gone");
            assert.match(output, /namespace|kubectl/, output.slice(-3000));
            controlPlane("start");
            for (let i = 0; i < 120; i++) {
                try {
                    cluster.kubectl("get", "nodes");
                    break;
                } catch {
                    sleep(1000);
                }
            }
            const afterStop = generations();
            assert.deepStrictEqual(restartedSince(before), ["cart/cart +1"], `the first wave was rolled, the second not yet (${stoppedAfter}); up printed:\n${output.slice(-3000)}`);
            assert.strictEqual(afterStop["shop/web"], before["shop/web"]);
            project.mustPulumi("refresh", "--yes", "--skip-preview");
            project.up();
            assert.deepStrictEqual(restartedSince(before), ["cart/cart +1", "shop/api +1", "shop/web +1"], "each moved workload restarted exactly once");
            assertProxies(["1-30", "1-31"], { shop: "1-31", cart: "1-31", search: "1-30" });
        })();
    });

    it("3. a namespace relabelled by hand (and its pods re-created under it) is taken back and restarted on the next up", () => {
        cluster.kubectl("label", "namespace", "search", "istio.io/rev=1-31", "--overwrite");
        cluster.kubectl("rollout", "restart", "deployment/search", "-n", "search");
        rolloutStatus("search");
        assertProxies(["1-30", "1-31"], { search: "1-31" });
        const before = generations();
        const report = plan();
        assert.deepStrictEqual(report.namespaces.filter((n: any) => n.restart).map((n: any) => [n.namespace, n.workloads]), [["search", 1]],
            "the plan names the namespace whose pods run the wrong revision");
        project.up();
        assert.strictEqual(label("search"), "1-30", "label taken back by a plain up");
        assert.match(cluster.json("get", "namespace", "search").metadata.annotations?.["istio-mesh.dev/label-taken-back-from"] ?? "", /^1-31@\d+$/);
        assert.deepStrictEqual(restartedSince(before), ["search/search +1"]);
        assertProxies(["1-30", "1-31"], { shop: "1-31", cart: "1-31", search: "1-30" });
    });

    it("4. a namespace the program rolled, relabelled by hand and restarted by hand onto another revision: after refresh and up, every pod is injected by the configured revision, each workload restarted once", () => {
        // shop was rolled onto 1-31 in step 2: its templates carry that record, which kubectl rollout restart keeps.
        cluster.kubectl("label", "namespace", "shop", "istio.io/rev=1-30", "--overwrite");
        cluster.kubectl("rollout", "restart", "deployment", "-n", "shop");
        rolloutStatus("shop");
        assertProxies(["1-30", "1-31"], { shop: "1-30" });
        assert.deepStrictEqual([records()["shop/web"], records()["shop/api"]], [`1-31@${NEW}`, `1-31@${NEW}`], "the record of the earlier roll is still there");
        const before = generations();
        project.mustPulumi("refresh", "--yes", "--skip-preview");
        const up = project.up();
        assert.strictEqual(label("shop"), "1-31", "label taken back");
        assert.deepStrictEqual(restartedSince(before), ["shop/api +1", "shop/web +1"], `each workload of shop restarted once; up printed:\n${up.stdout.slice(-3000)}`);
        assertProxies(["1-30", "1-31"], { shop: "1-31", cart: "1-31", search: "1-30" });
    });

    it("5. destroy: refused by the lock and the retirement guards with nothing deleted while pods use a revision; the documented teardown leaves the CRDs, every application namespace and workload, and restarts nothing", () => {
        const before = { generations: generations(), pods: pods() };
        const crds = cluster.kubectl("get", "crd", "-o", "name").split("\n").filter(n => n.endsWith(".istio.io")).sort();
        assert.ok(crds.includes("customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io"), crds.join(", "));
        cluster.apply([{ apiVersion: "networking.istio.io/v1", kind: "VirtualService", metadata: { name: "web", namespace: "shop" },
            spec: { hosts: ["web"], http: [{ route: [{ destination: { host: "web" } }] }] } }]);
        // While pods still use both revisions, the retirement guards refuse the destroy before anything is deleted.
        // Without the provider of the program's stack-output reads: nothing depends on it, so a destroy that deletes
        // nothing of the mesh may still drop it (it is made again on the next run).
        const urns = (): string[] => project.stateResources().map(r => r.urn).filter(u => !u.includes("::pulumi:providers:pulumi::")).sort();
        const stateBefore = urns();
        const labelsBefore = NAMESPACES.map(label);
        const refused = project.pulumi("destroy", "--yes", "--skip-preview");
        assert.notStrictEqual(refused.code, 0, "destroy refused while pods use the revisions");
        assert.match(refused.stdout + refused.stderr, /decommission-lock[\s\S]*cannot be deleted[\s\S]*because it is protected/);
        assert.match(refused.stdout + refused.stderr, /revision 1-3[01] still serves \d+ running pod\(s\), so its istiod is not deleted/, "the guards refuse too");
        const guards = project.stateResources()
            .filter(r => r.urn.endsWith("-retirement-guard")).map(r => `${r.urn.split("::").pop()}: ${(r.dependencies ?? []).length} dependencies`);
        const left = urns();
        assert.deepStrictEqual(stateBefore.filter(u => !left.includes(u)).map(u => u.split("$").pop()), [],
            `a refused destroy deletes nothing of the stack (guards: ${guards.join("; ")})`);
        assert.deepStrictEqual(NAMESPACES.map(label), labelsBefore, "and no namespace loses its label");
        assert.strictEqual(cluster.json("get", "mutatingwebhookconfigurations", "istio-sidecar-injector-1-31").metadata.name, "istio-sidecar-injector-1-31");
        // The documented teardown: lift the lock with one up, then destroy.
        project.mustPulumi("config", "set", "istio-mesh:decommission", "true");
        project.up();
        assert.deepStrictEqual(generations(), before.generations, "the up that lifts the lock restarts nothing");
        project.mustPulumi("destroy", "--yes", "--skip-preview");
        assert.deepStrictEqual(cluster.kubectl("get", "crd", "-o", "name").split("\n").filter(n => n.endsWith(".istio.io")).sort(), crds, "every Istio CRD kept");
        assert.strictEqual(cluster.json("get", "virtualservice", "web", "-n", "shop").metadata.name, "web", "the users' Istio objects kept");
        for (const ns of NAMESPACES) {
            assert.ok(cluster.json("get", "namespace", ns).metadata.name === ns, `namespace ${ns} kept`);
        }
        assert.deepStrictEqual(generations(), before.generations, "every workload kept, none restarted");
        assert.deepStrictEqual(pods(), before.pods);
    });
});
