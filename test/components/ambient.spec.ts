/**
 * The program in ambient mode under Pulumi's mocks: what it registers (ztunnel, its node-by-node step, istiod and
 * istio-cni in their ambient settings, ambient namespaces), in Istio's order, and the plan it reads from the nodes.
 */
import * as assert from "assert";
import { RawConfig } from "../../model/config";
import { ZTUNNEL_CONFIG_ANNOTATION } from "../../model/ambient/nodes";
import { Observation } from "../../model/rollout";
import { workload } from "../support/cluster";
import { find, ofType, ProgramRun, runProgram, TYPES } from "../support/mocks";
import { nodeObject, ztunnelPod } from "../support/ztunnelCluster";

const config: RawConfig = {
    registry: { hub: "registry.example.com/istio" },
    revisions: [{ version: "1.30.4" }, { version: "1.31.0" }],
    tags: { default: "1-30" },
    namespaces: { shop: "default" },
    cni: { enabled: true },
    ambient: { enabled: true, namespaces: ["catalog"], ztunnel: { revision: "1-31", drain: true, pauseBetween: "10s" } },
    gatewayApi: { gateways: [{ name: "waypoint", namespace: "catalog", revision: "1-31", className: "istio-waypoint" }] },
};

/** Whether `dependent` depends on the resource named `name` (any type, by the end of its URN). */
const dependsOn = (dependent: { dependencies: string[] }, name: string) => dependent.dependencies.some(u => u.endsWith(`::${name}`));

function cluster(target?: string, opts: { cordoned?: string } = {}): Observation {
    return {
        namespaceLabels: { catalog: undefined, shop: "default" },
        namespaceModes: { catalog: "ambient" },
        objects: [...workload("catalog", "catalog", { pods: [{ revision: "1-30", version: "1.30.4" }] }), ...workload("shop", "web", { pods: [{ revision: "1-30", version: "1.30.4" }] })],
        ztunnel: {
            nodes: ["node-0", "node-1", "node-2"].map(name => nodeObject({ name, ...(opts.cordoned === name ? { unschedulable: true, cordonedByUs: target } : {}) })),
            pods: ["node-0", "node-1", "node-2"].map(n => ztunnelPod(n, n === "node-0" && target ? target : "old", n === "node-0" && target ? "1.31.0" : "1.30.4")),
        },
    };
}

describe("IstioMesh under mocks: ambient mode", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runProgram(config, undefined, {}, undefined, {}, cluster());
    });

    it("renders ztunnel served by its revision, OnDelete for node by node, its pods stamped with the configuration's digest", () => {
        const z = find(run, TYPES.chart, "ztunnel").inputs;
        assert.strictEqual(z.chart, "oci://ghcr.io/istio/release/charts/ztunnel");
        assert.strictEqual(z.version, "1.31.0");
        assert.strictEqual(z.values.revision, "1-31");
        assert.deepStrictEqual(z.values.updateStrategy, { type: "OnDelete" });
        // The provider would otherwise wait for every pod of an OnDelete DaemonSet to be replaced: the step does that.
        assert.deepStrictEqual(z.values.annotations, { "pulumi.com/skipAwait": "true" });
        assert.deepStrictEqual(z.values.global, { istioNamespace: "istio-system", tag: "1.31.0", hub: "registry.example.com/istio" });
        assert.match(z.values.podAnnotations[ZTUNNEL_CONFIG_ANNOTATION], /^[0-9a-f]{12}$/);
    });

    it("turns ambient on in every istiod and in istio-cni, which follows ztunnel's version", () => {
        for (const name of ["istiod-1-30", "istiod-1-31"]) {
            assert.strictEqual(find(run, TYPES.chart, name).inputs.values.pilot.env.PILOT_ENABLE_AMBIENT, "true");
        }
        const cni = find(run, TYPES.chart, "istio-cni").inputs;
        assert.strictEqual(cni.version, "1.31.0");
        assert.deepStrictEqual(cni.values.ambient, { enabled: true });
    });

    it("wires Istio's ambient order: istiod -> istio-cni -> ztunnel -> its node-by-node step -> tags, namespaces", () => {
        const cni = find(run, "istio-mesh:index:IstioCni", "istio-cni");
        const ztunnel = find(run, "istio-mesh:index:IstioZtunnel", "ztunnel");
        const step = find(run, TYPES.command, "ztunnel-rollout");
        assert.ok(dependsOn(cni, "istiod-1-31") && dependsOn(cni, "istiod-1-30"), "istio-cni after every istiod");
        assert.ok(dependsOn(ztunnel, "istio-cni") && dependsOn(ztunnel, "istiod-1-31"), "ztunnel after istio-cni and its istiod");
        assert.ok(dependsOn(step, "ztunnel"), "the step after ztunnel's chart");
        assert.ok(dependsOn(find(run, "istio-mesh:index:RevisionTags", "tags"), "ztunnel-rollout"), "tags after every node runs ztunnel");
        for (const ns of ["namespace-shop", "namespace-catalog"]) {
            assert.ok(dependsOn(find(run, TYPES.namespacePatch, ns), "ztunnel-rollout"), `${ns} after ztunnel`);
        }
    });

    it("deploys the waypoint as a Gateway of class istio-waypoint pinned to its revision, with Istio's HBONE listener, after ztunnel", () => {
        const waypoint = run.resources.find(r => r.type === "kubernetes:gateway.networking.k8s.io/v1:Gateway" && r.inputs.metadata?.name === "waypoint");
        assert.ok(waypoint, run.resources.map(r => `${r.type} ${r.name}`).join("\n"));
        assert.deepStrictEqual(waypoint.inputs.metadata.labels, { "istio.io/rev": "1-31", "istio.io/waypoint-for": "service" });
        assert.deepStrictEqual(waypoint.inputs.spec, { gatewayClassName: "istio-waypoint", listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }] });
        assert.ok(dependsOn(find(run, "istio-mesh:index:GatewayApiGateway", "gateway-api-catalog/waypoint"), "ztunnel-rollout"), "the waypoint after ztunnel");
    });

    it("gives the step its settings and the nodes it expects to take, with the versions before and after", () => {
        const step = find(run, TYPES.command, "ztunnel-rollout").inputs;
        const z = find(run, TYPES.chart, "ztunnel").inputs;
        assert.deepStrictEqual({ ...step.environment, KUBE_REQUEST_TIMEOUT: undefined }, {
            KUBE_REQUEST_TIMEOUT: undefined, ZTUNNEL_NAMESPACE: "istio-system", ZTUNNEL_TARGET: z.values.podAnnotations[ZTUNNEL_CONFIG_ANNOTATION],
            ZTUNNEL_VERSION: "1.31.0", ZTUNNEL_ROLLOUT: "nodeByNode", NODES_AT_ONCE: "1", CORDON: "true", DRAIN: "true",
            DRAIN_TIMEOUT: "5m", READY_TIMEOUT: "5m", PAUSE: "10s",
        });
        assert.deepStrictEqual(step.stdin.split("\n"), [
            "batch 1/3: node node-0: ztunnel 1.30.4 -> 1.31.0: cordon, drain, replace, await, uncordon",
            "batch 2/3: node node-1: ztunnel 1.30.4 -> 1.31.0: cordon, drain, replace, await, uncordon",
            "batch 3/3: node node-2: ztunnel 1.30.4 -> 1.31.0: cordon, drain, replace, await, uncordon",
        ]);
    });

    it("labels the ambient namespace istio.io/dataplane-mode=ambient (and its waypoint) with the same kind of patch as a sidecar one, and no istio.io/rev", () => {
        assert.deepStrictEqual(find(run, TYPES.namespacePatch, "namespace-catalog").inputs.metadata.labels,
            { "istio.io/dataplane-mode": "ambient", "istio.io/use-waypoint": "waypoint" });
        assert.deepStrictEqual(find(run, TYPES.namespacePatch, "namespace-shop").inputs.metadata.labels, { "istio.io/rev": "default" });
    });

    it("restarts the ambient namespace's workloads that still have a sidecar, onto ambient", () => {
        const request: string = find(run, TYPES.command, "workload-restarts").inputs.stdin;
        assert.match(request, /^catalog ambient ambient@ztunnel-1\.31\.0 Deployment\/catalog@1$/m);
    });

    it("the step reads in upgrade terms: ztunnel per node, nodes to drain", () => {
        const summary: string[] = run.outputs.upgradePlan.summary;
        const i = summary.findIndex(l => l.startsWith("ztunnel: "));
        assert.deepStrictEqual(summary.slice(i, i + 3), [
            "ztunnel: (none) -> 1.31.0 (served by 1-31)",
            "ztunnel on 3 of 3 node(s), node by node, 1 at a time, cordoned and drained: node-0 1.30.4 -> 1.31.0, node-1 1.30.4 -> 1.31.0, node-2 1.30.4 -> 1.31.0",
            "nodes to drain (PodDisruptionBudgets respected): node-0, node-1, node-2",
        ]);
        assert.ok(summary.indexOf("istio-cni: (none) -> 1.31.0") < i);
        assert.deepStrictEqual(run.outputs.upgradePlan.ztunnelNodes.nodes.map((n: any) => [n.name, n.version]), [["node-0", "1.30.4"], ["node-1", "1.30.4"], ["node-2", "1.30.4"]]);
    });

    it("names a node an interrupted step left cordoned, and skips a node already on target", async () => {
        const target = find(run, TYPES.chart, "ztunnel").inputs.values.podAnnotations[ZTUNNEL_CONFIG_ANNOTATION];
        const again = await runProgram(config, run.outputs.meshState, {}, undefined, {}, cluster(target, { cordoned: "node-1" }));
        const summary: string[] = again.outputs.upgradePlan.summary;
        assert.ok(summary.includes("nodes left cordoned by an interrupted ztunnel step (finished first): node-1"), summary.join("\n"));
        assert.ok(summary.some(l => l.startsWith("ztunnel on 2 of 3 node(s)") && !l.includes("node-0")), summary.join("\n"));
    });

    it("keeps the step's last request when every node runs ztunnel's configuration (a re-run shows no change)", async () => {
        const target = find(run, TYPES.chart, "ztunnel").inputs.values.podAnnotations[ZTUNNEL_CONFIG_ANNOTATION];
        const all: Observation = { ...cluster(), ztunnel: { nodes: ["node-0"].map(name => nodeObject({ name })), pods: [ztunnelPod("node-0", target, "1.31.0")] } };
        const again = await runProgram(config, run.outputs.meshState, {}, undefined, {}, all);
        assert.strictEqual(find(again, TYPES.command, "ztunnel-rollout").inputs.stdin, "");
        assert.ok(!again.outputs.upgradePlan.summary.some((l: string) => l.startsWith("ztunnel on")));
        assert.strictEqual(ofType(again, TYPES.chart).filter(c => c.name === "ztunnel").length, 1);
    });

    it("render mode: ztunnel rendered OnDelete, no step (nothing is applied), the namespaces still labelled", async () => {
        const rendered = await runProgram({ ...config, renderDirectory: "/tmp/rendered" });
        assert.deepStrictEqual(find(rendered, TYPES.chart, "ztunnel").inputs.values.updateStrategy, { type: "OnDelete" });
        assert.ok(!rendered.resources.some(r => r.name === "ztunnel-rollout"));
        assert.deepStrictEqual(find(rendered, TYPES.namespacePatch, "namespace-catalog").inputs.metadata.labels["istio.io/dataplane-mode"], "ambient");
        assert.ok(!rendered.outputs.upgradePlan.ztunnelNodes, "no nodes read in render mode");
    });
});
