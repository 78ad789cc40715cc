/**
 * The canary runbook through the real `pulumi` CLI against a real kube-apiserver (KWOK simulates nodes and
 * pods, so rollouts complete). Every assertion reads the cluster with kubectl, not only Pulumi's output.
 *
 * The toolchain comes from tools/offline/toolchain.sh. Sidecar injection is real: the local cluster runs one real
 * istiod (pilot-discovery) per installed revision as a local process, reached by kube-apiserver through a loopback
 * CONNECT proxy (tools/offline/cluster.sh, demo/istiods.ts). So each step asserts what `istioctl proxy-status`
 * would show: the revision that injected every pod (its sidecar.istio.io/status) and its istio-proxy version.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { podProxy } from "../../istio";
import { RawConfig } from "../../model/config";
import { appNamespace, LocalCluster, LocalProject, toolchainEnv, toolchainMissing } from "../../demo/local";
import { injectionMismatches, proxyStatusLines } from "../../demo/proxyStatus";

const missing = toolchainMissing();
/** The kinds of an istiod chart's objects. */
const REVISION_KINDS = "deployments,services,configmaps,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings," +
    "mutatingwebhookconfigurations,validatingwebhookconfigurations";

describe("end to end: a canary upgrade through the real engine", function () {
    let env: NodeJS.ProcessEnv;
    let cluster: LocalCluster;
    let project: LocalProject;
    let charts: string;
    let OLD: string;
    let NEW: string;
    /** The kubeconfig the stack config names: a copy of the cluster's, moved to a new path before the retirement (step 7). */
    let kubeconfig: string;

    before(function () {
        if (missing) {
            // Reported as pending (skipped) with the reason, never as passed.
            this.test!.title += ` (skipped: toolchain missing: ${missing}; build it with 'npm run toolchain')`;
            this.skip();
        }
        env = toolchainEnv();
        OLD = env.ISTIO_MESH_ISTIO_OLD!;
        NEW = env.ISTIO_MESH_ISTIO_NEW!;
        // Chart directories named by the versions the config uses (plus a label for an unsafe, older minor).
        charts = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-charts-"));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, OLD), path.join(charts, OLD));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, NEW), path.join(charts, NEW));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, OLD), path.join(charts, "1.28.0"));
        cluster = LocalCluster.start(env);
        kubeconfig = path.join(charts, "job-1", "kubeconfig");
        fs.mkdirSync(path.dirname(kubeconfig));
        fs.copyFileSync(cluster.kubeconfig, kubeconfig);
        cluster.apply([
            ...appNamespace("shop", ["web", "api"], true),
            ...appNamespace("cart", ["cart"], true),
            ...appNamespace("search", ["search"]),
        ]);
        project = LocalProject.create("e2e", env);
    });

    after(() => {
        project?.dispose();
        cluster?.stop();
        if (charts) {
            fs.rmSync(charts, { recursive: true, force: true });
        }
    });

    /** The config of a step: everything but what the step changes is the same. */
    function config(step: Partial<RawConfig>): RawConfig {
        return {
            kubernetesVersion: "1.34",
            registry: { hub: "registry.example.com/istio" },
            charts: { localDir: `${charts}/{version}` },
            kubernetes: { kubeconfig },
            restartTimeout: "2m",
            cni: { enabled: true, version: OLD },
            ...step,
        };
    }
    const gateway = (revision: string) => [{ name: "istio-ingressgateway", namespace: "istio-ingress", revision, replicas: 2, podDisruptionBudget: { minAvailable: 1 }, awaitLoadBalancer: false }];
    const both = () => [{ version: OLD }, { version: NEW }];

    /** `npm run plan --format json` in the project, as a reviewer runs it before `up`. */
    function plan(): any {
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "plan/cli.ts", "--stack", "e2e", "--format", "json"],
            { cwd: project.dir, env: { ...project.env, KUBECONFIG: cluster.kubeconfig }, encoding: "utf8", maxBuffer: 1 << 26 });
        assert.strictEqual(r.status, 0, r.stderr);
        return JSON.parse(r.stdout);
    }
    /** Deployments whose pods were all replaced between two snapshots of pod names. */
    const restartedDeployments = (before: Record<string, string>, ns: string[]) =>
        ns.filter(n => before[n] !== pods(n)).flatMap(n => cluster.json("get", "deployments", "-n", n).items.map((d: any) => `${n}/${d.metadata.name}`));

    /** Pod names per namespace: a restart replaces them. */
    const pods = (ns: string) => cluster.json("get", "pods", "-n", ns).items.map((p: any) => p.metadata.name).sort().join(",");
    const label = (ns: string) => cluster.json("get", "namespace", ns).metadata.labels ?? {};
    const exists = (...args: string[]) => { try { cluster.kubectl("get", ...args); return true; } catch { return false; } };
    /**
     * What `istioctl proxy-status` would show: every workload of each namespace runs the proxy of the revision
     * given for it, injected by that revision; and exactly the revisions installed have a ready local istiod,
     * reached over loopback only.
     */
    function assertProxies(installed: string[], revisionOf: Record<string, string>): void {
        cluster.waitForIstiods(installed);
        const versionOf = (rev: string) => ({ "1-30": OLD, "1-31": NEW } as Record<string, string>)[rev];
        const workloads = cluster.workloadPods(Object.keys(revisionOf));
        const problems = injectionMismatches(workloads, ns => ({ revision: revisionOf[ns], version: versionOf(revisionOf[ns]) }));
        assert.deepStrictEqual(problems, [], `proxy status:\n${proxyStatusLines(workloads).join("\n")}`);
        assert.deepStrictEqual(cluster.nonLoopbackConnections(), [], "the local cluster and its istiods connect to loopback only");
    }

    /** Changes in a preview other than reads and unchanged objects. */
    const changes = (steps: { op: string; name: string; type: string }[]) =>
        steps.filter(s => s.op !== "same" && s.op !== "read" && s.type !== "pulumi:pulumi:Stack").map(s => `${s.op} ${s.name}`).sort();

    it("1. up with one revision, a default tag, a gateway and CNI: all objects exist", () => {
        project.setConfig(config({
            revisions: [{ version: OLD }], tags: { default: "1-30" },
            namespaces: { shop: "default", cart: "default", search: "1-30" }, gateways: gateway("default"),
        }));
        project.up();
        assert.ok(exists("deployment", "istiod-1-30", "-n", "istio-system"));
        const tag = cluster.json("get", "mutatingwebhookconfiguration", "istio-revision-tag-default");
        assert.ok(tag.webhooks.every((w: any) => w.clientConfig.service.name === "istiod-1-30"));
        assert.ok(exists("mutatingwebhookconfiguration", "istio-sidecar-injector-1-30"));
        assert.ok(exists("daemonset", "istio-cni-node", "-n", "istio-system"));
        const gw = cluster.json("get", "deployment", "istio-ingressgateway", "-n", "istio-ingress");
        assert.strictEqual(gw.spec.template.metadata.labels["istio.io/rev"], "default");
        assert.ok(exists("poddisruptionbudget", "istio-ingressgateway", "-n", "istio-ingress"));
        assert.deepStrictEqual(label("shop"), { "istio.io/rev": "default", "kubernetes.io/metadata.name": "shop" }, "legacy istio-injection label removed");
        assert.strictEqual(label("search")["istio.io/rev"], "1-30");
        assertProxies(["1-30"], { shop: "1-30", cart: "1-30", search: "1-30", "istio-ingress": "1-30" });
    });

    it("2. add the new revision: the preview shows the new control plane and nothing else; both istiods run", () => {
        project.setConfig(config({
            revisions: both(), tags: { default: "1-30" },
            namespaces: { shop: "default", cart: "default", search: "1-30" }, gateways: gateway("default"),
        }));
        const planned = changes(project.previewSteps());
        // The new istiod, and the CRDs it needs, applied before it by one step (no CRD is an engine resource).
        const outsideNewRevision = planned.filter(c => !/istiod-1-31/.test(c) && !/^update (crds|base(:.*)?)$/.test(c));
        assert.deepStrictEqual(outsideNewRevision, [], `only the new control plane and its CRDs may change: ${planned.join(", ")}`);
        assert.ok(planned.some(c => c.startsWith("create istiod-1-31")), planned.join(", "));
        assert.ok(planned.includes("update crds"), `the CRDs follow the newest revision: ${planned.join(", ")}`);
        const before = { shop: pods("shop"), cart: pods("cart"), search: pods("search") };
        project.up();
        assert.ok(exists("deployment", "istiod-1-30", "-n", "istio-system"));
        assert.ok(exists("deployment", "istiod-1-31", "-n", "istio-system"));
        assert.deepStrictEqual({ shop: pods("shop"), cart: pods("cart"), search: pods("search") }, before, "nothing restarted");
        const vs = cluster.json("get", "crd", "virtualservices.networking.istio.io", "--show-managed-fields");
        assert.ok(vs.metadata.managedFields.some((f: any) => f.manager === "istio-mesh" && f.operation === "Apply"), "applied server-side by the crds step");
        assert.ok(vs.status.conditions.some((c: any) => c.type === "Established" && c.status === "True"));
        assertProxies(["1-30", "1-31"], { shop: "1-30", cart: "1-30", search: "1-30", "istio-ingress": "1-30" });
    });

    let shopPods: string;
    it("3. move one namespace: its label and its restart only; its pods replaced, the others untouched", () => {
        project.setConfig(config({
            revisions: both(), tags: { default: "1-30" },
            namespaces: { shop: "1-31", cart: "default", search: "1-30" }, gateways: gateway("default"),
        }));
        assert.deepStrictEqual(changes(project.previewSteps()), ["update namespace-shop", "update workload-restarts"]);
        const report = plan();
        assert.deepStrictEqual(report.namespaces.map((n: any) => [n.namespace, n.restart, n.workloads]), [["shop", true, 2]]);
        assert.strictEqual(report.safe, true);
        const before = { shop: pods("shop"), cart: pods("cart"), search: pods("search") };
        const out = project.up().stdout;
        assert.deepStrictEqual(restartedDeployments(before, ["shop", "cart", "search"]), ["shop/api", "shop/web"], "what the plan said restarts, restarted");
        assert.strictEqual(label("shop")["istio.io/rev"], "1-31");
        assert.notStrictEqual(pods("shop"), before.shop, "shop restarted");
        assert.strictEqual(pods("cart"), before.cart, "cart untouched");
        assert.strictEqual(pods("search"), before.search, "search untouched");
        assert.match(out, /upgradePlan|namespacesMoving|restart/);
        assertProxies(["1-30", "1-31"], { shop: "1-31", cart: "1-30", search: "1-30", "istio-ingress": "1-30" });
        shopPods = pods("shop");
    });

    it("4. roll that namespace back, then forward again: each move restarts it", () => {
        const step = (shop: string) => project.setConfig(config({
            revisions: both(), tags: { default: "1-30" },
            namespaces: { shop, cart: "default", search: "1-30" }, gateways: gateway("default"),
        }));
        step("default");
        project.up();
        assert.strictEqual(label("shop")["istio.io/rev"], "default");
        const back = pods("shop");
        assert.notStrictEqual(back, shopPods);
        assertProxies(["1-30", "1-31"], { shop: "1-30", cart: "1-30", search: "1-30", "istio-ingress": "1-30" });
        step("1-31");
        project.up();
        assert.strictEqual(label("shop")["istio.io/rev"], "1-31");
        assert.notStrictEqual(pods("shop"), back);
        assertProxies(["1-30", "1-31"], { shop: "1-31", cart: "1-30", search: "1-30", "istio-ingress": "1-30" });
    });

    it("5. move the gateway and the default tag", () => {
        const cart = pods("cart");
        const shop = pods("shop");
        project.setConfig(config({
            revisions: both(), tags: { default: "1-31" },
            namespaces: { shop: "1-31", cart: "default", search: "1-30" }, gateways: gateway("1-31"),
        }));
        const report = plan();
        assert.deepStrictEqual(report.namespaces.map((n: any) => [n.namespace, n.restart, n.workloads]), [["cart", true, 1]]);
        assert.deepStrictEqual(report.upgrade.gatewaysMoving.map((g: any) => [g.name, g.to.revision]), [["istio-ingress/istio-ingressgateway", "1-31"]]);
        assert.deepStrictEqual(report.upgrade.tagsMoved, [{ tag: "default", from: "1-30", to: "1-31" }]);
        const before = { shop: pods("shop"), cart: pods("cart"), search: pods("search") };
        project.up();
        assert.deepStrictEqual(restartedDeployments(before, ["shop", "cart", "search"]), ["cart/cart"], "what the plan said restarts, restarted");
        const tag = cluster.json("get", "mutatingwebhookconfiguration", "istio-revision-tag-default");
        assert.ok(tag.webhooks.every((w: any) => w.clientConfig.service.name === "istiod-1-31"), "the default tag moved in place");
        const gw = cluster.json("get", "deployment", "istio-ingressgateway", "-n", "istio-ingress");
        assert.strictEqual(gw.spec.template.metadata.labels["istio.io/rev"], "1-31");
        assert.notStrictEqual(pods("cart"), cart, "cart follows the default tag: restarted");
        assert.strictEqual(pods("shop"), shop, "shop was already on 1-31: untouched");
        assertProxies(["1-30", "1-31"], { shop: "1-31", cart: "1-31", search: "1-30", "istio-ingress": "1-31" });
    });

    it("5b. a namespace relabelled by hand without a restart fails the proxy-status check, naming the workload and the revision that injected it", () => {
        const search = cluster.workloadPods(["search"]);
        cluster.kubectl("label", "namespace", "search", "istio.io/rev=1-31", "--overwrite");
        try {
            const problems = injectionMismatches(cluster.workloadPods(["search"]), () => ({ revision: "1-31", version: NEW }));
            assert.strictEqual(problems.length, search[0].pods.length, problems.join("\n"));
            for (const p of problems) {
                assert.match(p, new RegExp(`^search/deployment/search: pod search-\\S+ was injected by revision 1-30 \\(proxy ${OLD.replace(/\./g, "\\.")}\\), expected revision 1-31`));
            }
        } finally {
            cluster.kubectl("label", "namespace", "search", "istio.io/rev=1-30", "--overwrite");
        }
    });

    it("6. retiring the old revision while a namespace uses it is refused, naming the namespace", () => {
        project.setConfig(config({
            revisions: [{ version: NEW }], tags: { default: "1-31" },
            namespaces: { shop: "1-31", cart: "default", search: "1-30" }, gateways: gateway("1-31"),
            cni: { enabled: true, version: NEW },
        }));
        const r = project.pulumi("preview");
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stdout + r.stderr, /istio-mesh:namespaces\.search = "1-30": namespace search still uses revision "1-30", which this config retires/);
        assert.ok(exists("deployment", "istiod-1-30", "-n", "istio-system"), "nothing was touched");
    });

    it("7. move the last namespace, retire the old revision: refused before anything applies while a pod uses it; then, from a moved kubeconfig, nothing of it is left", () => {
        project.setConfig(config({
            revisions: both(), tags: { default: "1-31" },
            namespaces: { shop: "1-31", cart: "default", search: "1-31" }, gateways: gateway("1-31"),
        }));
        // A bare pod, injected by 1-30 while search is on it: no controller restarts it, so 1-30 still serves it after the move.
        cluster.apply([{ apiVersion: "v1", kind: "Pod", metadata: { name: "straggler", namespace: "search" },
            spec: { containers: [{ name: "app", image: "registry.example.com/straggler:1" }] } }]);
        cluster.kubectl("wait", "--for=condition=Ready", "pod/straggler", "-n", "search", "--timeout=60s");
        project.up();
        assertProxies(["1-30", "1-31"], { shop: "1-31", cart: "1-31", search: "1-31", "istio-ingress": "1-31" });
        const straggler = podProxy(cluster.json("get", "pod", "straggler", "-n", "search"));
        assert.deepStrictEqual([straggler.revision, straggler.version], ["1-30", OLD], "the straggler was injected by 1-30");
        // The retirement step carries a second change (CNI onto the new version): refused whole, before anything applies.
        project.setConfig(config({
            revisions: [{ version: NEW }], tags: { default: "1-31" },
            namespaces: { shop: "1-31", cart: "default", search: "1-31" }, gateways: gateway("1-31"),
            cni: { enabled: true, version: NEW },
        }));
        // Every object of 1-30's chart, on the cluster and in the stack: the refused retirement must delete none.
        // (By name: the chart's RBAC objects carry no istio.io/rev label, their names carry the revision.)
        const objectsOf130 = () => cluster.kubectl("get", REVISION_KINDS, "-A", "-o", "name").split("\n").filter(n => n.includes("1-30")).sort();
        const stateOf130 = () => project.stateResources().map(r => r.urn).filter(u => u.includes("1-30")).sort();
        const cniImage = () => cluster.json("get", "daemonset", "istio-cni-node", "-n", "istio-system").spec.template.spec.containers[0].image;
        const before = { objects: objectsOf130(), state: stateOf130(), cni: cniImage() };
        assert.ok(before.objects.includes("deployment.apps/istiod-1-30") && before.objects.includes("serviceaccount/istiod-1-30") &&
            before.objects.some(n => n.startsWith("clusterrole.")) && before.objects.includes("mutatingwebhookconfiguration.admissionregistration.k8s.io/istio-sidecar-injector-1-30"),
            before.objects.join(", "));
        assert.ok(before.cni.endsWith(`:${OLD}`), before.cni);
        const refusal = /istio-mesh refuses this step[\s\S]*istio-mesh:revisions = \["1-30"\]: revision 1-30 \(\S+\) leaves the config, but 1 running or pending pod uses it: search\/straggler \(injected by 1-30\)/;
        const preview = project.pulumi("preview");
        assert.notStrictEqual(preview.code, 0);
        assert.match(preview.stdout + preview.stderr, refusal);
        for (const args of [["up", "--yes"], ["up", "--yes", "--skip-preview"], ["up", "--yes", "--skip-preview", "--continue-on-error"]]) {
            const refused = project.pulumi(...args);
            assert.notStrictEqual(refused.code, 0, args.join(" "));
            assert.match(refused.stdout + refused.stderr, refusal, args.join(" "));
            assert.deepStrictEqual(objectsOf130(), before.objects, `${args.join(" ")}: no object of 1-30 deleted while a pod uses it`);
            assert.deepStrictEqual(stateOf130(), before.state, `${args.join(" ")}: the stack still holds all of 1-30, its guard included`);
            assert.strictEqual(cniImage(), before.cni, `${args.join(" ")}: nor was the step's other change applied`);
        }

        // A CI job writes its kubeconfig to a fresh path: the guard follows this run's, not the one recorded at the last up.
        const moved = path.join(charts, "job-2", "kubeconfig");
        fs.mkdirSync(path.dirname(moved));
        fs.renameSync(kubeconfig, moved);
        kubeconfig = moved;
        project.setConfig(config({
            revisions: [{ version: NEW }], tags: { default: "1-31" },
            namespaces: { shop: "1-31", cart: "default", search: "1-31" }, gateways: gateway("1-31"),
            cni: { enabled: true, version: NEW },
        }));
        cluster.kubectl("delete", "pod", "straggler", "-n", "search", "--wait=true");
        project.up();
        assert.ok(!exists("deployment", "istiod-1-30", "-n", "istio-system"));
        assert.ok(!exists("mutatingwebhookconfiguration", "istio-sidecar-injector-1-30"));
        assert.ok(!exists("validatingwebhookconfiguration", "istio-validator-1-30-istio-system"));
        const leftovers = cluster.kubectl("get", REVISION_KINDS, "-A", "-l", "istio.io/rev=1-30", "-o", "name").trim();
        assert.strictEqual(leftovers, "", `objects of 1-30 left behind: ${leftovers}`);
        assert.deepStrictEqual(objectsOf130(), [], "nor any object named for it");
        for (const hook of cluster.json("get", "mutatingwebhookconfigurations,validatingwebhookconfigurations").items) {
            for (const w of hook.webhooks ?? []) {
                assert.notStrictEqual(w.clientConfig?.service?.name, "istiod-1-30", `${hook.metadata.name} still points at istiod-1-30`);
            }
        }
        assert.ok(exists("deployment", "istiod-1-31", "-n", "istio-system"));
        assertProxies(["1-31"], { shop: "1-31", cart: "1-31", search: "1-31", "istio-ingress": "1-31" });
    });

    it("8. unsafe configs fail the preview with the policy pack, naming the policy", () => {
        const pack = ["--policy-pack", path.join(project.dir, "policies")];
        // Control planes three minors apart (a canary may span two).
        project.setConfig(config({
            revisions: [{ version: "1.28.0" }, { version: NEW }], tags: { default: "1-31" },
            namespaces: { shop: "1-31", cart: "default", search: "1-31" }, gateways: gateway("1-31"),
            cni: { enabled: true, version: NEW },
        }));
        const jump = project.pulumi("preview", ...pack);
        assert.notStrictEqual(jump.code, 0, jump.stdout);
        assert.match(jump.stdout + jump.stderr, /istio-control-plane-skew/);
        // A gateway whose pinned proxy is newer than the control plane serving it.
        project.setConfig(config({
            revisions: [{ version: NEW }], tags: { default: "1-31" },
            namespaces: { shop: "1-31", cart: "default", search: "1-31" },
            gateways: [{ ...gateway("1-31")[0], values: { podAnnotations: { "sidecar.istio.io/proxyImage": "registry.example.com/istio/proxyv2:1.33.0" } } }],
            cni: { enabled: true, version: NEW },
        }));
        const newer = project.pulumi("preview", ...pack);
        assert.notStrictEqual(newer.code, 0, newer.stdout);
        assert.match(newer.stdout + newer.stderr, /istio-proxy-not-newer-than-control-plane/);
        // The current (safe) config passes the pack.
        project.setConfig(config({
            revisions: [{ version: NEW }], tags: { default: "1-31" },
            namespaces: { shop: "1-31", cart: "default", search: "1-31" }, gateways: gateway("1-31"),
            cni: { enabled: true, version: NEW },
        }));
        const safe = project.pulumi("preview", ...pack);
        assert.strictEqual(safe.code, 0, safe.stdout + safe.stderr);
    });

    it("9. a namespace released from the config gets its istio-injection label back, and its new pods are injected", () => {
        project.setConfig(config({
            revisions: [{ version: NEW }], tags: { default: "1-31" },
            namespaces: { shop: "1-31", search: "1-31" }, gateways: gateway("1-31"),
            cni: { enabled: true, version: NEW },
        }));
        const out = project.up().stdout;
        assert.match(out, /namespace cart: istio-injection=enabled given back/);
        assert.strictEqual(label("cart")["istio-injection"], "enabled", "given back");
        assert.strictEqual(label("cart")["istio.io/rev"], undefined, "and the program's label removed");
        cluster.kubectl("rollout", "restart", "deployment/cart", "-n", "cart");
        cluster.kubectl("rollout", "status", "deployment/cart", "-n", "cart", "--timeout=120s");
        assertProxies(["1-31"], { cart: "1-31" });
    });

    it("10. destroy: refused with nothing deleted while pods are injected, with and without --continue-on-error; the documented teardown leaves only CRDs, namespaces and workloads", () => {
        const before = { shop: pods("shop"), cart: pods("cart"), search: pods("search") };
        // Without the provider of the program's stack-output reads: nothing depends on it, so a destroy that deletes
        // nothing of the mesh may still drop it (it is made again on the next run).
        const urns = () => project.stateResources().map(r => r.urn).filter(u => !u.includes("::pulumi:providers:pulumi::")).sort();
        const meshObjects = () => cluster.kubectl("get", "deployments,daemonsets,services,configmaps,serviceaccounts,roles,rolebindings,poddisruptionbudgets",
            "-n", "istio-system", "-o", "name").split("\n").filter(Boolean).sort();
        const state = urns();
        const objects = meshObjects();
        const labels = () => ["shop", "cart", "search"].map(label);
        const labelsBefore = labels();
        assert.ok(objects.includes("deployment.apps/istiod-1-31"), objects.join(", "));
        const attempts: [string[], NodeJS.ProcessEnv][] = [
            [["destroy", "--yes"], {}],
            [["destroy", "--yes", "--skip-preview"], { PULUMI_CONTINUE_ON_ERROR: "true" }],
            [["destroy", "--yes", "--skip-preview", "--continue-on-error"], {}],
        ];
        for (const [args, extra] of attempts) {
            const what = `${Object.keys(extra).map(k => `${k}=${extra[k]} `).join("")}pulumi ${args.join(" ")}`;
            Object.assign(project.env, extra);
            const refused = project.pulumi(...args);
            Object.keys(extra).forEach(k => delete project.env[k]);
            assert.notStrictEqual(refused.code, 0, what);
            assert.match(refused.stdout + refused.stderr, /decommission-lock[\s\S]*cannot be deleted[\s\S]*because it is protected/, what);
            assert.deepStrictEqual(urns(), state, `${what}: nothing of the stack deleted`);
            assert.deepStrictEqual(meshObjects(), objects, `${what}: nothing of the mesh deleted on the cluster`);
            assert.deepStrictEqual(labels(), labelsBefore, `${what}: no namespace lost a label`);
        }

        // The documented teardown: lift the lock with one up, then destroy.
        project.setConfig({ ...config({
            revisions: [{ version: NEW }], tags: { default: "1-31" },
            namespaces: { shop: "1-31", search: "1-31" }, gateways: gateway("1-31"),
            cni: { enabled: true, version: NEW },
        }), decommission: true });
        // Every Kubernetes object the stack applied (not the namespaces it keeps): none may be left after the teardown.
        const applied = project.stateResources().map(r => r as { type?: string; outputs?: { metadata?: { name?: string; namespace?: string } } })
            .filter(r => /^kubernetes:(?!helm|yaml)/.test(r.type ?? "") && !/:(Namespace|NamespacePatch)$/.test(r.type!) && r.outputs?.metadata?.name)
            .map(r => [r.type!.split(":").pop()!, r.outputs!.metadata!.name!, ...(r.outputs!.metadata!.namespace ? ["-n", r.outputs!.metadata!.namespace] : [])]);
        assert.ok(applied.some(([kind, name]) => kind === "Deployment" && name === "istiod-1-31"), applied.join(" "));
        const lockProtected = () => (project.stateResources().find(r => r.urn.endsWith("::decommission-lock")) as { protect?: boolean } | undefined)?.protect === true;
        assert.strictEqual(lockProtected(), true);
        project.up();
        assert.strictEqual(lockProtected(), false, "the up lifted the lock");
        project.mustPulumi("destroy", "--yes", "--skip-preview");
        assert.deepStrictEqual(urns().filter(u => !u.includes("pulumi:pulumi:Stack")), [], "the stack holds nothing");
        for (const ns of ["shop", "cart", "search"]) {
            assert.ok(exists("namespace", ns), `namespace ${ns} kept`);
            assert.strictEqual(label(ns)["istio.io/rev"], undefined, `the program's label left ${ns}`);
            assert.strictEqual(label(ns)["istio-injection"], "enabled", `${ns} has its istio-injection label back`);
        }
        assert.ok(exists("deployment", "web", "-n", "shop"));
        assert.ok(exists("deployment", "cart", "-n", "cart"));
        assert.ok(exists("deployment", "search", "-n", "search"));
        assert.deepStrictEqual({ shop: pods("shop"), cart: pods("cart"), search: pods("search") }, before, "no workload restarted or deleted");
        assert.deepStrictEqual(applied.filter(object => exists(...object)).map(o => o.join(" ")), [], "nothing the stack applied is left");
        // What istiod itself wrote while it ran (its leader elections, CA ConfigMaps) is istiod's, left as istiod leaves it.
        assert.deepStrictEqual(meshObjects().filter(o => !/^configmap\/istio-/.test(o)), ["configmap/kube-root-ca.crt", "serviceaccount/default"],
            "nothing else of the mesh left in istio-system");
        const clusterWide = cluster.kubectl("get", "clusterroles,clusterrolebindings,mutatingwebhookconfigurations,validatingwebhookconfigurations", "-o", "name")
            .split("\n").filter(n => /istio/.test(n));
        assert.deepStrictEqual(clusterWide, [], "nor cluster-wide");
        assert.ok(cluster.kubectl("get", "crd", "-o", "name").includes("virtualservices.networking.istio.io"), "the CRDs kept");
        cluster.waitForIstiods([]);
    });
});
