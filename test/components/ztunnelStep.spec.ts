import * as assert from "assert";
import { runZtunnelStep, ZtunnelStepError, ztunnelStepSettings } from "../../components/ztunnelStep";
import { FakeNode, FakeZtunnelCluster } from "../support/ztunnelCluster";

const OLD = { config: "old", version: "1.30.4" };
const NEW = { config: "new", version: "1.31.0" };

function settings(env: Record<string, string> = {}) {
    return ztunnelStepSettings({ ZTUNNEL_TARGET: NEW.config, ZTUNNEL_VERSION: NEW.version, CORDON: "true", DRAIN: "true", READY_TIMEOUT: "30s", PAUSE: "10s", ...env });
}

/** A clock that only moves when the step sleeps. */
function clock() {
    let t = 0;
    const sleeps: number[] = [];
    return { now: () => t, sleep: async (ms: number) => { sleeps.push(ms); t += ms; }, sleeps };
}

const three = (): FakeNode[] => ["n1", "n2", "n3"].map(name => ({ name, ztunnel: OLD, apps: [{ name: `app-${name}` }] }));

describe("the ztunnel step (components/ztunnelStep.ts) against an in-memory cluster", () => {
    it("takes one node at a time: cordon, drain, replace, Ready, uncordon, pause; each node once", async () => {
        const cluster = new FakeZtunnelCluster(three(), NEW);
        const c = clock();
        const lines: string[] = [];
        await runZtunnelStep(settings(), cluster, l => lines.push(l), c);
        assert.deepStrictEqual(cluster.writes, [
            "cordon n1", "drain n1", "delete ztunnel-n1-0", "uncordon n1",
            "cordon n2", "drain n2", "delete ztunnel-n2-0", "uncordon n2",
            "cordon n3", "drain n3", "delete ztunnel-n3-0", "uncordon n3",
        ]);
        assert.ok(cluster.fakeNodes.every(n => !n.unschedulable && !n.cordonedByUs));
        // Two pauses of 10s between three nodes, and the polls for Ready (1s each).
        assert.strictEqual(c.sleeps.filter(ms => ms === 10000).length, 2);
        assert.match(lines.join("\n"), /n1: ztunnel 1\.31\.0 Ready/);
        assert.match(lines[lines.length - 1], /ztunnel 1\.31\.0 on every node$/);
    });

    it("nodesAtOnce: 2 takes two nodes per batch", async () => {
        const cluster = new FakeZtunnelCluster(three(), NEW);
        await runZtunnelStep(settings({ NODES_AT_ONCE: "2", DRAIN: "false" }), cluster, () => undefined, clock());
        assert.deepStrictEqual(cluster.writes, [
            "cordon n1", "cordon n2", "delete ztunnel-n1-0", "delete ztunnel-n2-0", "uncordon n1", "uncordon n2",
            "cordon n3", "delete ztunnel-n3-0", "uncordon n3",
        ]);
    });

    it("a drain that cannot finish stops the step naming the pods, replaces nothing on that node, and says the node is left cordoned", async () => {
        const nodes = three();
        nodes[1].apps = [{ name: "db-0", pinned: true }];
        const cluster = new FakeZtunnelCluster(nodes, NEW);
        await assert.rejects(runZtunnelStep(settings(), cluster, () => undefined, clock()), (e: Error) => {
            assert.ok(e instanceof ZtunnelStepError);
            assert.match(e.message, /ztunnel on node n2: the drain did not finish within 5m \(istio-mesh:ambient\.ztunnel\.drainTimeout\); pods left: shop\/db-0/);
            assert.match(e.message, /Left cordoned by istio-mesh \(annotation istio-mesh\.dev\/cordoned-for-ztunnel\): n2/);
            return true;
        });
        assert.deepStrictEqual(cluster.writes, ["cordon n1", "drain n1", "delete ztunnel-n1-0", "uncordon n1", "cordon n2", "drain n2"]);
    });

    it("resumes after the interruption: the cordoned node first, not cordoned again, and n1 never touched twice", async () => {
        const nodes = three();
        nodes[1].apps = [{ name: "db-0", pinned: true }];
        const cluster = new FakeZtunnelCluster(nodes, NEW);
        await assert.rejects(runZtunnelStep(settings(), cluster, () => undefined, clock()));
        nodes[1].apps = [{ name: "db-0" }]; // the PodDisruptionBudget allows it now
        cluster.writes.length = 0;
        await runZtunnelStep(settings(), cluster, () => undefined, clock());
        assert.deepStrictEqual(cluster.writes, [
            "drain n2", "delete ztunnel-n2-0", "uncordon n2",
            "cordon n3", "drain n3", "delete ztunnel-n3-0", "uncordon n3",
        ]);
    });

    it("a new pod that is never Ready stops the step at its readyTimeout, naming the node", async () => {
        const cluster = new FakeZtunnelCluster(three(), NEW, 1, ["n1"]);
        await assert.rejects(runZtunnelStep(settings({ DRAIN: "false" }), cluster, () => undefined, clock()),
            /ztunnel on node n1: no Ready ztunnel 1\.31\.0 within 30s \(istio-mesh:ambient\.ztunnel\.readyTimeout\): n1 \(pod ztunnel-n1-1 not Ready\)[\s\S]*Left cordoned by istio-mesh .*: n1/);
        assert.deepStrictEqual(cluster.writes, ["cordon n1", "delete ztunnel-n1-0"]);
    });

    it("nothing to do when every node runs the target", async () => {
        const cluster = new FakeZtunnelCluster(["n1", "n2"].map(name => ({ name, ztunnel: NEW })), NEW);
        const lines: string[] = [];
        await runZtunnelStep(settings(), cluster, l => lines.push(l), clock());
        assert.deepStrictEqual(cluster.writes, []);
        assert.deepStrictEqual(lines, ["ztunnel 1.31.0: every node runs it (2 node(s))"]);
    });

    it("rolling: deletes nothing and waits for each node's pod", async () => {
        const cluster = new FakeZtunnelCluster([{ name: "n1", ztunnel: NEW }], NEW);
        await runZtunnelStep(settings({ ZTUNNEL_ROLLOUT: "rolling", CORDON: "false", DRAIN: "false" }), cluster, () => undefined, clock());
        assert.deepStrictEqual(cluster.writes, []);
    });

    it("a new install: pods of the target configuration not Ready yet are awaited, no node cordoned or drained", async () => {
        const cluster = new FakeZtunnelCluster(["n1", "n2"].map(name => ({ name, ztunnel: { ...NEW, ready: false } })), NEW);
        const c = clock();
        const ready = cluster.ztunnelPods.bind(cluster);
        let looks = 0;
        cluster.ztunnelPods = () => (++looks > 3 ? ready().map(p => ({ ...p, status: { ...p.status, conditions: [{ type: "Ready", status: "True" }] } })) : ready());
        await runZtunnelStep(settings(), cluster, () => undefined, c);
        assert.deepStrictEqual(cluster.writes, []);
        assert.ok(c.sleeps.length > 0, "it waited for them");
    });

    it("waits for the DaemonSet to have a pod on every node it schedules to, and stops at readyTimeout touching nothing", async () => {
        const cluster = new FakeZtunnelCluster(three(), NEW);
        cluster.daemonSet = () => ({ kind: "DaemonSet", metadata: { name: "ztunnel", generation: 3 }, status: { observedGeneration: 3, desiredNumberScheduled: 4 } });
        await assert.rejects(runZtunnelStep(settings(), cluster, () => undefined, clock()),
            /ztunnel's DaemonSet has pods on 3 of the 4 nodes it schedules to after 30s \(istio-mesh:ambient\.ztunnel\.readyTimeout\); no node was touched/);
        assert.deepStrictEqual(cluster.writes, []);
    });

    it("bad settings name the variable", () => {
        assert.throws(() => settings({ DRAIN_TIMEOUT: "soon" }), /DRAIN_TIMEOUT "soon" is not a duration/);
        assert.throws(() => ztunnelStepSettings({}), /ZTUNNEL_TARGET and ZTUNNEL_VERSION are required/);
    });
});
