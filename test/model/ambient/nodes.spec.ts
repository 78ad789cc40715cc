import * as assert from "assert";
import { nodeActions, observeNodes, planNodes, ztunnelConfigDigest } from "../../../model/ambient/nodes";
import { nodeObject, ztunnelPod } from "../../support/ztunnelCluster";

const OLD = "old-config";
const NEW = "new-config";
const NODE_BY_NODE = { cordon: true, drain: true, replace: true };

describe("ztunnel node by node: decisions from an observed cluster (model/ambient/nodes.ts)", () => {
    it("the configuration digest changes with the version or any value, not with the order of keys", () => {
        const a = ztunnelConfigDigest("1.31.0", { revision: "1-31", global: { hub: "h", tag: "1.31.0" } });
        assert.strictEqual(a, ztunnelConfigDigest("1.31.0", { global: { tag: "1.31.0", hub: "h" }, revision: "1-31" }));
        assert.notStrictEqual(a, ztunnelConfigDigest("1.30.4", { revision: "1-31", global: { hub: "h", tag: "1.31.0" } }));
        assert.notStrictEqual(a, ztunnelConfigDigest("1.31.0", { revision: "1-30", global: { hub: "h", tag: "1.31.0" } }));
    });

    it("reads each node's ztunnel pod: on target only when created from the current template and Ready", () => {
        const nodes = ["n1", "n2", "n3", "n4"].map(name => nodeObject({ name }));
        const pods = [
            ztunnelPod("n1", NEW, "1.31.0"),
            ztunnelPod("n2", OLD, "1.30.4"),
            ztunnelPod("n3", NEW, "1.31.0", false),
        ];
        const states = observeNodes(nodes, pods, NEW);
        // n4 runs no ztunnel (the DaemonSet does not schedule there): not ztunnel's node.
        assert.deepStrictEqual(states.map(s => [s.name, s.onTarget, s.stale, s.pod?.version]), [
            ["n1", true, false, "1.31.0"], ["n2", false, true, "1.30.4"], ["n3", false, false, "1.31.0"],
        ]);
    });

    it("a node on target needs nothing; a stale one is cordoned, drained, replaced, awaited and uncordoned", () => {
        const [done, stale] = observeNodes([nodeObject({ name: "a" }), nodeObject({ name: "b" })],
            [ztunnelPod("a", NEW, "1.31.0"), ztunnelPod("b", OLD, "1.30.4")], NEW);
        assert.deepStrictEqual(nodeActions(done, NODE_BY_NODE), []);
        assert.deepStrictEqual(nodeActions(stale, NODE_BY_NODE), ["cordon", "drain", "replace", "await", "uncordon"]);
        assert.deepStrictEqual(nodeActions(stale, { cordon: false, drain: false, replace: true }), ["replace", "await"]);
        // rolling: the DaemonSet replaces the pod; the step only waits for it.
        assert.deepStrictEqual(nodeActions(stale, { cordon: false, drain: false, replace: false }), ["await"]);
    });

    it("a node someone else cordoned is neither cordoned nor uncordoned by the program", () => {
        const [s] = observeNodes([nodeObject({ name: "a", unschedulable: true })], [ztunnelPod("a", OLD, "1.30.4")], NEW);
        assert.deepStrictEqual(nodeActions(s, NODE_BY_NODE), ["replace", "await"]);
    });

    it("resume: a node an interrupted step left cordoned comes first and is not cordoned again; one already replaced is only uncordoned", () => {
        const nodes = [nodeObject({ name: "a" }), nodeObject({ name: "b", unschedulable: true, cordonedByUs: NEW }), nodeObject({ name: "c", unschedulable: true, cordonedByUs: NEW })];
        const pods = [ztunnelPod("a", OLD, "1.30.4"), ztunnelPod("b", OLD, "1.30.4"), ztunnelPod("c", NEW, "1.31.0")];
        const plan = planNodes(observeNodes(nodes, pods, NEW), NODE_BY_NODE, 1);
        assert.deepStrictEqual(plan.batches, [["b"], ["c"], ["a"]]);
        assert.deepStrictEqual(plan.actions.b, ["drain", "replace", "await", "uncordon"]);
        assert.deepStrictEqual(plan.actions.c, ["uncordon"]);
        assert.deepStrictEqual(plan.cordonedByUs, ["b", "c"]);
    });

    it("a node whose old pod is terminating (deleted by an interrupted step) is awaited, not drained or deleted again", () => {
        const terminating = { ...ztunnelPod("a", OLD, "1.30.4"), metadata: { ...ztunnelPod("a", OLD, "1.30.4").metadata, deletionTimestamp: "2026-12-05T07:00:00Z" } };
        const [s] = observeNodes([nodeObject({ name: "a", unschedulable: true, cordonedByUs: NEW })], [terminating], NEW);
        assert.deepStrictEqual(nodeActions(s, NODE_BY_NODE), ["await", "uncordon"]);
    });

    it("a new install: a node whose pod has the target configuration but is not Ready yet is only awaited (never cordoned)", () => {
        const [s] = observeNodes([nodeObject({ name: "a" })], [ztunnelPod("a", NEW, "1.31.0", false)], NEW);
        assert.deepStrictEqual(nodeActions(s, NODE_BY_NODE), ["await"]);
    });

    it("batches nodesAtOnce nodes at a time, by name", () => {
        const names = ["n3", "n1", "n2", "n4", "n5"];
        const plan = planNodes(observeNodes(names.map(name => nodeObject({ name })), names.map(n => ztunnelPod(n, OLD, "1.30.4")), NEW), NODE_BY_NODE, 2);
        assert.deepStrictEqual(plan.batches, [["n1", "n2"], ["n3", "n4"], ["n5"]]);
    });
});
