/**
 * An ambient mesh installed and upgraded to the next minor through the real `pulumi` CLI, on a KWOK cluster of three
 * nodes with real istiods (ambient on: PILOT_ENABLE_AMBIENT, from their Deployment). KWOK simulates nodes and pods:
 * no ztunnel or CNI binary runs, so what is shown is the order and the objects (the DaemonSets, which node's ztunnel
 * pod is replaced when, cordons, evictions, labels, injection), not traffic through ztunnel.
 *
 * The order of an `up` is observed from the cluster's own watch events (demo/watch.ts), compared by resourceVersion:
 * etcd's one revision counter orders every write of every kind.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gatewayApiSupportFor, podProxy } from "../../istio";
import { RawConfig } from "../../model/config";
import { CORDONED_BY_ANNOTATION, ZTUNNEL_CONFIG_ANNOTATION } from "../../model/ambient/nodes";
import { appNamespace, LocalCluster, LocalProject, REPO } from "../../demo/local";
import { Recorded } from "../../demo/watch";
import { toolchainOrSkip } from "../support/e2e";

const NODES = ["kwok-node-1", "kwok-node-2", "kwok-node-3"];
const WATCHED = [
    "/api/v1/nodes",
    "/api/v1/pods",
    "/apis/apps/v1/namespaces/istio-system/daemonsets",
    "/apis/apps/v1/deployments",
    "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    "/apis/gateway.networking.k8s.io/v1/gateways",
];
/** The Gateway API release both Istio minors of the toolchain support: the one the newer is built against (istio/gatewayApi.ts). */
const gatewayApiRelease = (istioVersion: string) => gatewayApiSupportFor(istioVersion)!.builtAgainst!;

describe("end to end: an ambient mesh upgraded in Istio's order, ztunnel node by node (3 KWOK nodes)", function () {
    let env: NodeJS.ProcessEnv;
    let cluster: LocalCluster;
    let project: LocalProject;
    let charts: string;
    let OLD: string;
    let NEW: string;
    let watcher: ChildProcess | undefined;
    let events: string;

    before(function () {
        const toolchain = toolchainOrSkip(this);
        ({ OLD, NEW } = toolchain);
        env = { ...toolchain.env, CLUSTER_NODES: String(NODES.length) };
        charts = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-charts-"));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, OLD), path.join(charts, OLD));
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, NEW), path.join(charts, NEW));
        // A label for a minor two below the new one (its charts are the old ones: the config refuses it before any render).
        fs.symlinkSync(path.join(env.ISTIO_MESH_CHARTS!, OLD), path.join(charts, "1.29.0"));
        cluster = LocalCluster.start(env);
        events = path.join(charts, "events.jsonl");
        const shop = appNamespace("shop", ["storefront"], true);
        // shop joins the ambient mesh from the start: no legacy injection label (it would inject sidecars).
        delete (shop[0] as any).metadata.labels;
        cluster.apply([...shop, ...appNamespace("catalog", ["catalog"], true), ...appNamespace("search", ["search"], true)]);
        project = LocalProject.create("ambient", env);
    });

    after(() => {
        watcher?.kill("SIGTERM");
        project?.dispose();
        cluster?.stop();
        if (charts) {
            fs.rmSync(charts, { recursive: true, force: true });
        }
    });

    function config(step: Partial<RawConfig> & { ztunnel?: Record<string, unknown>; ambientNamespaces?: string[]; waypoint?: string }): RawConfig {
        const { ztunnel, ambientNamespaces, waypoint, ...rest } = step;
        return {
            kubernetesVersion: "1.34",
            registry: { hub: "registry.example.com/istio" },
            charts: { localDir: `${charts}/{version}` },
            kubernetes: { kubeconfig: cluster.kubeconfig },
            restartTimeout: "2m",
            cni: { enabled: true },
            ambient: { enabled: true, namespaces: ambientNamespaces ?? ["shop"], ztunnel: { drain: true, pauseBetween: "1s", drainTimeout: "2m", readyTimeout: "2m", ...ztunnel } },
            // shop's waypoint (from step 7), deployed by istiod of its revision.
            gatewayApi: { version: gatewayApiRelease(NEW), gateways: waypoint ? [{ name: "waypoint", namespace: "shop", revision: waypoint, className: "istio-waypoint" }] : [] },
            ...rest,
        };
    }

    /** Records the cluster's watch events from now on, until the returned function is called: then they are read. */
    function watch(): () => Recorded[] {
        fs.writeFileSync(events, "");
        watcher = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO, "demo", "watch.ts"), events, ...WATCHED],
            { cwd: REPO, env: cluster.env, stdio: ["pipe", "ignore", "inherit"] });
        // Every watch starts with the current objects (ADDED): wait until the nodes are listed, so nothing of the up is missed.
        for (let i = 0; i < 300 && !fs.readFileSync(events, "utf8").includes("\"kind\":\"Node\""); i++) {
            spawnSync("sleep", ["0.1"]);
        }
        const start = Math.max(0, ...read().map(e => e.rv));
        return () => {
            spawnSync("sleep", ["2"]);
            watcher!.kill("SIGTERM");
            watcher = undefined;
            return read().filter(e => e.rv > start);
        };
    }
    const read = (): Recorded[] => fs.readFileSync(events, "utf8").split("\n").filter(Boolean).map(l => JSON.parse(l));

    const ztunnelPods = () => cluster.json("get", "pods", "-n", "istio-system", "-l", "app=ztunnel").items
        .filter((p: any) => !p.metadata.deletionTimestamp);
    const podNames = (ns: string) => cluster.json("get", "pods", "-n", ns).items.filter((p: any) => !p.metadata.deletionTimestamp)
        .map((p: any) => p.metadata.name).sort().join(",");
    const labels = (ns: string) => { const l = { ...cluster.json("get", "namespace", ns).metadata.labels }; delete l["kubernetes.io/metadata.name"]; return l; };
    const proxies = (ns: string): string[] => cluster.json("get", "pods", "-n", ns).items.filter((p: any) => !p.metadata.deletionTimestamp)
        .map((p: any) => { const x = podProxy(p); return x.injected ? `${x.revision}@${x.version}` : "no sidecar"; });
    /** The waypoint istiod deployed in shop: its revision (istio.io/rev on the Gateway) and its proxy's version. */
    const waypointRuns = () => {
        const gateway = cluster.json("get", "gateways.gateway.networking.k8s.io", "waypoint", "-n", "shop");
        const deployment = cluster.json("get", "deployment", "waypoint", "-n", "shop");
        return { revision: gateway.metadata.labels["istio.io/rev"], image: deployment.spec.template.spec.containers[0].image.split(":").pop() };
    };
    const cordoned = () => cluster.json("get", "nodes").items.filter((n: any) => n.spec.unschedulable || n.metadata.annotations?.[CORDONED_BY_ANNOTATION]).map((n: any) => n.metadata.name);
    /** Waits for each Deployment of `ns` to be rolled out (pods evicted by a drain come back on other nodes). */
    const settled = (...ns: string[]) => ns.forEach(n => cluster.kubectl("rollout", "status", "deployment", "-n", n, "--timeout=120s"));

    /** `npm run plan --format json` in the project, as a reviewer runs it before `up`. */
    function plan(): any {
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "plan/cli.ts", "--stack", "ambient", "--format", "json"],
            { cwd: project.dir, env: { ...project.env, KUBECONFIG: cluster.kubeconfig }, encoding: "utf8", maxBuffer: 1 << 26 });
        assert.strictEqual(r.status, 0, r.stderr);
        return JSON.parse(r.stdout);
    }

    /** `pulumi up`; a failure says what istiod and the cluster show of the waypoint (istiod's log, the Gateway's status). */
    function upExplained(): void {
        const r = project.pulumi("up", "--yes", "--skip-preview");
        if (r.code === 0) {
            return;
        }
        const safe = (f: () => string) => { try { return f(); } catch (e) { return String(e); } };
        const logs = cluster.istiods().map(i => `${i.revision}: ${safe(() => fs.readFileSync(i.log, "utf8").split("\n").filter(l => /gateway|waypoint|error/i.test(l)).slice(-25).join("\n"))}`);
        throw new Error(`pulumi up failed (${r.code}):\n${(r.stdout + r.stderr).split("\n").filter(l => /istio-mesh|error|rollout/i.test(l)).join("\n")}\n` +
            `gateways: ${safe(() => cluster.kubectl("get", "gateways.gateway.networking.k8s.io", "-A", "-o", "yaml"))}\n` +
            `shop: ${safe(() => cluster.kubectl("get", "deployments,pods", "-n", "shop", "-o", "wide"))}\n` +
            `gatewayclasses: ${safe(() => cluster.kubectl("get", "gatewayclasses", "-o", "wide"))}\nistiod logs:\n${logs.join("\n")}`);
    }

    it("1. installs an ambient mesh: istiod, istio-cni (ambient), ztunnel on every node, shop enrolled without sidecars, catalog and search on sidecars", () => {
        project.setConfig(config({ revisions: [{ version: OLD }], tags: { default: "1-30" }, namespaces: { catalog: "default", search: "default" } }));
        const shopPods = podNames("shop");
        project.up();
        cluster.waitForIstiods(["1-30"]);
        const ds = cluster.json("get", "daemonset", "ztunnel", "-n", "istio-system");
        assert.strictEqual(ds.spec.updateStrategy.type, "OnDelete");
        assert.strictEqual(ds.metadata.annotations["istio.io/rev"], "1-30");
        const pods = ztunnelPods();
        assert.deepStrictEqual(pods.map((p: any) => p.spec.nodeName).sort(), NODES, "one ztunnel per node");
        for (const p of pods) {
            assert.match(p.spec.containers[0].image, new RegExp(`/ztunnel:${OLD.replace(/\./g, "\\.")}$`));
            assert.strictEqual(p.metadata.annotations[ZTUNNEL_CONFIG_ANNOTATION], ds.spec.template.metadata.annotations[ZTUNNEL_CONFIG_ANNOTATION]);
        }
        const cniConfig = cluster.json("get", "configmap", "istio-cni-config", "-n", "istio-system").data;
        assert.strictEqual(cniConfig.AMBIENT_ENABLED, "true", "istio-cni in its ambient setting");
        const istiod = cluster.json("get", "deployment", "istiod-1-30", "-n", "istio-system").spec.template.spec.containers[0].env;
        assert.ok(istiod.some((e: any) => e.name === "PILOT_ENABLE_AMBIENT" && e.value === "true"));
        assert.deepStrictEqual(labels("shop"), { "istio.io/dataplane-mode": "ambient" });
        assert.deepStrictEqual(labels("catalog"), { "istio.io/rev": "default" });
        assert.strictEqual(podNames("shop"), shopPods, "ambient pods need no restart to join");
        assert.ok(proxies("shop").every(p => p === "no sidecar"));
        assert.deepStrictEqual([...new Set([...proxies("catalog"), ...proxies("search")])], [`1-30@${OLD}`]);
        assert.deepStrictEqual(cordoned(), []);
    });

    it("2. a ztunnel two minors behind its control plane is refused before anything applies, naming the key and the rule", () => {
        // The toolchain's 1.31 against a ztunnel labelled 1.29: two minors.
        project.setConfig(config({ revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-31" }, namespaces: { catalog: "default", search: "default" }, ztunnel: { version: "1.29.0" } }));
        const before = ztunnelPods().map((p: any) => p.metadata.name).sort();
        const r = project.pulumi("preview");
        assert.notStrictEqual(r.code, 0);
        assert.match(r.stdout + r.stderr, /istio-mesh:ambient\.ztunnel\.version = "1\.29\.0": ztunnel 1\.29\.0 is 2 minors behind its control plane 1-31 \(1\.31\.[^)]*\) \(at most 1\)/);
        assert.deepStrictEqual(ztunnelPods().map((p: any) => p.metadata.name).sort(), before);
        assert.ok(!cluster.json("get", "deployments", "-n", "istio-system").items.some((d: any) => d.metadata.name === "istiod-1-31"), "nothing applied");
    });

    it("3. adds the new control plane beside the old: ztunnel, istio-cni and every node left alone", () => {
        project.setConfig(config({ revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-30" }, namespaces: { catalog: "default", search: "default" } }));
        const done = watch();
        project.up();
        const seen = done();
        cluster.waitForIstiods(["1-30", "1-31"]);
        assert.deepStrictEqual(seen.filter(e => e.kind === "Node" && e.unschedulable), [], "no node cordoned");
        assert.deepStrictEqual(seen.filter(e => e.kind === "Pod" && e.labels?.app === "ztunnel" && e.type === "DELETED"), [], "no ztunnel replaced");
        assert.ok(cluster.json("get", "deployment", "istiod-1-31", "-n", "istio-system"));
    });

    it("4. upgrades in Istio's order: istio-cni, then ztunnel one node at a time (cordon, drain, replace, Ready, uncordon), then the tag and the namespaces; a drain a PodDisruptionBudget blocks stops the step, naming the pods, and the next up resumes", () => {
        project.setConfig(config({
            revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-31" }, namespaces: { catalog: "default", search: "default" },
            ztunnel: { drainTimeout: "30s" },
        }));
        const report = plan();
        assert.deepStrictEqual(report.upgrade.ztunnel, { from: { version: OLD, revision: "1-30" }, to: { version: NEW, revision: "1-31" } });
        assert.deepStrictEqual(report.upgrade.ztunnelNodes.nodes.map((n: any) => [n.name, n.version, n.actions.join(",")]),
            NODES.map(n => [n, OLD, "cordon,drain,replace,await,uncordon"]), "the plan names each node with its ztunnel before");
        const done = watch();
        // search's PodDisruptionBudget allows no eviction: the first node running a search pod cannot be drained.
        cluster.kubectl("patch", "pdb", "search", "-n", "search", "--type=merge", "-p", JSON.stringify({ spec: { minAvailable: 2 } }));
        const failed = project.pulumi("up", "--yes", "--skip-preview");
        assert.notStrictEqual(failed.code, 0, "the blocked drain fails the up");
        const text = failed.stdout + failed.stderr;
        const blocked = /ztunnel on node (kwok-node-\d): the drain did not finish within 30s \(istio-mesh:ambient\.ztunnel\.drainTimeout\); pods left: ([^\n]*)/.exec(text);
        assert.ok(blocked, text.slice(-3000));
        assert.match(blocked[2], /search\/search-/, "the pods left are named");
        assert.match(text, new RegExp(`Left cordoned by istio-mesh \\(annotation istio-mesh\\.dev/cordoned-for-ztunnel\\): ${blocked[1]}`));
        assert.deepStrictEqual(cordoned(), [blocked[1]], "only that node, cordoned by the program, and said so");
        assert.strictEqual(cluster.json("get", "mutatingwebhookconfiguration", "istio-revision-tag-default").webhooks[0].clientConfig.service.name, "istiod-1-30",
            "nothing after ztunnel in Istio's order moved");
        const interrupted = plan();
        assert.ok(interrupted.upgrade.summary.includes(`nodes left cordoned by an interrupted ztunnel step (finished first): ${blocked[1]}`), interrupted.upgrade.summary.join("\n"));
        cluster.kubectl("patch", "pdb", "search", "-n", "search", "--type=merge", "-p", JSON.stringify({ spec: { minAvailable: 1 } }));
        project.up();
        const seen = done();
        settled("shop", "catalog", "search");

        const cni = seen.find(e => e.kind === "DaemonSet" && e.name === "istio-cni-node" && e.type === "MODIFIED" && e.images!.some(i => i.endsWith(`:${NEW}`)));
        assert.ok(cni, "istio-cni upgraded");
        const nodeEvents = seen.filter(e => e.kind === "Node" && e.type === "MODIFIED");
        // Each node cordoned once and uncordoned once, one node at a time (never two cordoned at once).
        const transitions: { node: string; cordon: boolean; rv: number }[] = [];
        const state = new Map(NODES.map(n => [n, false]));
        for (const e of nodeEvents) {
            if (state.get(e.name) !== e.unschedulable) {
                state.set(e.name, e.unschedulable!);
                transitions.push({ node: e.name, cordon: e.unschedulable!, rv: e.rv });
            }
        }
        // Across both ups: the node the first left cordoned is finished first by the second, never cordoned twice.
        assert.deepStrictEqual(transitions.map(t => `${t.cordon ? "cordon" : "uncordon"} ${t.node}`),
            NODES.flatMap(n => [`cordon ${n}`, `uncordon ${n}`]), "each node cordoned and uncordoned once, one at a time, in order");
        const firstCordon = transitions[0].rv;
        const lastUncordon = transitions[transitions.length - 1].rv;
        assert.ok(cni!.rv < firstCordon, "istio-cni before ztunnel");
        for (const node of NODES) {
            const [cordon, uncordon] = transitions.filter(t => t.node === node).map(t => t.rv);
            const replaced = seen.filter(e => e.kind === "Pod" && e.labels?.app === "ztunnel" && e.node === node);
            const oldGone = replaced.find(e => e.terminating || e.type === "DELETED");
            const newReady = replaced.find(e => e.ready && e.images!.some(i => i.endsWith(`:${NEW}`)));
            assert.ok(oldGone && cordon < oldGone.rv, `${node}: its old ztunnel deleted after the cordon`);
            assert.ok(newReady && newReady.rv < uncordon, `${node}: its new ztunnel Ready before the uncordon`);
            const evicted = seen.filter(e => e.kind === "Pod" && e.node === node && e.terminating && ["shop", "catalog", "search"].includes(e.namespace!));
            assert.ok(evicted.every(e => e.rv > cordon), `${node}: application pods evicted only after its cordon`);
        }
        assert.ok(seen.some(e => e.kind === "Pod" && e.terminating && ["shop", "catalog", "search"].includes(e.namespace!)), "the drains evicted application pods");
        const tag = seen.find(e => e.kind === "MutatingWebhookConfiguration" && e.name === "istio-revision-tag-default" && e.services!.every(s => s === "istiod-1-31"));
        assert.ok(tag && tag.rv > lastUncordon, "the tag moved after ztunnel was on every node");
        const firstRestart = seen.find(e => e.kind === "Pod" && e.type === "ADDED" && ["catalog", "search"].includes(e.namespace!) && e.images!.some(i => i.includes(`proxyv2:${NEW}`)));
        assert.ok(firstRestart && firstRestart.rv > tag!.rv, "the namespaces following the tag restarted after it");

        assert.deepStrictEqual(ztunnelPods().map((p: any) => [p.spec.nodeName, p.spec.containers[0].image.split(":").pop()]).sort(), NODES.map(n => [n, NEW]));
        assert.deepStrictEqual(cordoned(), [], "no node left cordoned");
        assert.deepStrictEqual([...new Set([...proxies("catalog"), ...proxies("search")])], [`1-31@${NEW}`]);
        assert.ok(proxies("shop").every(p => p === "no sidecar"), "ambient pods stay without a sidecar");
    });

    it("5. migrates catalog from sidecars to ambient: one label swap, its workloads restart without sidecars, the others untouched", () => {
        const before = { shop: podNames("shop"), search: podNames("search"), catalog: podNames("catalog") };
        project.setConfig(config({ revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-31" }, namespaces: { search: "default" }, ambientNamespaces: ["catalog", "shop"] }));
        const report = plan();
        assert.ok(report.upgrade.summary.includes("namespace catalog: default -> 1-31 (" + NEW + ") -> ambient (istio.io/dataplane-mode=ambient); its workloads restart so their sidecars go"),
            report.upgrade.summary.join("\n"));
        project.up();
        settled("catalog");
        assert.deepStrictEqual(labels("catalog"), { "istio.io/dataplane-mode": "ambient" });
        assert.notStrictEqual(podNames("catalog"), before.catalog);
        assert.deepStrictEqual([...new Set(proxies("catalog"))], ["no sidecar"]);
        assert.deepStrictEqual({ shop: podNames("shop"), search: podNames("search") }, { shop: before.shop, search: before.search });
        assert.deepStrictEqual(ztunnelPods().map((p: any) => p.spec.containers[0].image.split(":").pop()), NODES.map(() => NEW), "a migration leaves ztunnel alone");
    });

    it("6. and back to sidecars: the label swapped back, its workloads restart with 1-31's sidecar", () => {
        const before = podNames("catalog");
        project.setConfig(config({ revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-31" }, namespaces: { catalog: "default", search: "default" } }));
        project.up();
        settled("catalog");
        assert.deepStrictEqual(labels("catalog"), { "istio.io/rev": "default" });
        assert.notStrictEqual(podNames("catalog"), before);
        assert.deepStrictEqual([...new Set(proxies("catalog"))], [`1-31@${NEW}`]);
    });

    it("7. a waypoint for shop, deployed by istiod-1-30 (pinned like any Gateway API gateway), then moved to 1-31: re-deployed by istiod-1-31", () => {
        const both = { revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-31" }, namespaces: { catalog: "default", search: "default" } };
        project.setConfig(config({ ...both, waypoint: "1-30" }));
        upExplained();
        assert.deepStrictEqual(labels("shop"), { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
        assert.deepStrictEqual(waypointRuns(), { revision: "1-30", image: OLD }, "the waypoint deployed by istiod-1-30");
        project.setConfig(config({ ...both, waypoint: "1-31" }));
        const report = plan();
        assert.ok(report.upgrade.summary.some((l: string) => l.startsWith(`Gateway API gateway shop/waypoint: 1-30 (${OLD}) -> 1-31 (${NEW})`)), report.upgrade.summary.join("\n"));
        const before = ztunnelPods().map((p: any) => p.metadata.name).sort();
        upExplained();
        assert.deepStrictEqual(waypointRuns(), { revision: "1-31", image: NEW }, "the waypoint re-deployed by istiod-1-31");
        assert.deepStrictEqual(ztunnelPods().map((p: any) => p.metadata.name).sort(), before, "moving a waypoint leaves ztunnel alone");
    });

    it("8. retires the old control plane last: its istiod goes, no node or ztunnel is touched", () => {
        project.setConfig(config({ revisions: [{ version: NEW }], tags: { default: "1-31" }, namespaces: { catalog: "default", search: "default" }, waypoint: "1-31" }));
        const done = watch();
        project.up();
        const seen = done();
        cluster.waitForIstiods(["1-31"]);
        assert.ok(seen.some(e => e.kind === "Deployment" && e.name === "istiod-1-30" && e.type === "DELETED"), "istiod-1-30 deleted");
        assert.deepStrictEqual(seen.filter(e => e.kind === "Node" && e.unschedulable), []);
        assert.deepStrictEqual(seen.filter(e => e.kind === "Pod" && e.labels?.app === "ztunnel" && e.type === "DELETED"), []);
        assert.deepStrictEqual(waypointRuns(), { revision: "1-31", image: NEW });
        assert.deepStrictEqual(cluster.nonLoopbackConnections(), [], "the local cluster and its istiods connect to loopback only");
    });
});
