/** The restart decision: from what pods run and what the program recorded, never from a previous run's output. */
import * as assert from "assert";
import { decideNamespace, formatRequest, labelChangedOutside, labelProblem, NamespaceTarget, Observation, parseRequest, planRollout, reportRollout, rolloutSummary } from "../../model/rollout";
import { pod, workload } from "../support/cluster";

const shop: NamespaceTarget = { namespace: "shop", label: "1-31", revision: "1-31", version: "1.31.0" };
const on = (revision: string, version: string) => ({ revision, version });
const observe = (...objects: any[][]): Observation => ({ namespaceLabels: { shop: "1-31", cart: "default" }, objects: objects.flat() });
const verdicts = (target: NamespaceTarget, o: Observation) => decideNamespace(target, o).workloads.map(w => `${w.kind}/${w.name}: ${w.verdict}`);

describe("model/rollout: which workloads restart", () => {
    it("adoption: pods already injected by the target revision at its version restart nothing, with no record", () => {
        assert.deepStrictEqual(verdicts(shop, observe(workload("shop", "web", { replicas: 2, pods: [on("1-31", "1.31.0"), on("1-31", "1.31.0")] }))),
            ["Deployment/web: on-target"]);
    });

    it("pods injected by another revision restart (a namespace moving to a canary)", () => {
        const n = decideNamespace(shop, observe(workload("shop", "web", { pods: [on("1-30", "1.30.2")] })));
        assert.deepStrictEqual(n.workloads.map(w => [w.verdict, w.reason]), [["restart", "pods run 1-30 (1.30.2)"]]);
    });

    it("an in-place patch upgrade: same revision, older proxy version: restart", () => {
        assert.deepStrictEqual(verdicts({ ...shop, version: "1.31.1" }, observe(workload("shop", "web", { pods: [on("1-31", "1.31.0")] }))),
            ["Deployment/web: restart"]);
    });

    it("injector down: pods without a sidecar restart once, then the record says it was done", () => {
        assert.deepStrictEqual(verdicts(shop, observe(workload("shop", "web"))), ["Deployment/web: restart"]);
        assert.deepStrictEqual(verdicts(shop, observe(workload("shop", "web", { record: "1-31@1.31.0" }))), ["Deployment/web: on-target"]);
    });

    it("a record of an older target does not count: restart", () => {
        assert.deepStrictEqual(verdicts(shop, observe(workload("shop", "web", { record: "1-30@1.30.2" }))), ["Deployment/web: restart"]);
    });

    it("interrupted run: rolled onto the target and still rolling, old pods still there: not restarted again", () => {
        const o = observe(workload("shop", "web", { record: "1-31@1.31.0", rolling: true, replicas: 2, pods: [on("1-30", "1.30.2"), on("1-31", "1.31.0")] }));
        assert.deepStrictEqual(verdicts(shop, o), ["Deployment/web: rolling"]);
    });

    it("hand relabel: rolled onto the target, finished, but its pods were injected by another revision since: restart", () => {
        const n = decideNamespace(shop, observe(workload("shop", "web", { record: "1-31@1.31.0", pods: [on("1-30", "1.30.2")] })));
        assert.strictEqual(n.workloads[0].verdict, "restart");
        assert.match(n.workloads[0].reason, /injected by 1-30 although it was rolled onto 1-31/);
    });

    it("a proxy pinned to another version after the program rolled it is not restarted at every up", () => {
        assert.deepStrictEqual(verdicts(shop, observe(workload("shop", "web", { record: "1-31@1.31.0", pods: [on("1-31", "1.30.9")] }))),
            ["Deployment/web: on-target"]);
    });

    it("no running pods (scaled to zero): nothing to restart; finished pods do not count", () => {
        const finished = { ...pod("shop", "old", { kind: "ReplicaSet", name: "web-rs" }, on("1-30", "1.30.2")), status: { phase: "Succeeded" } };
        assert.deepStrictEqual(verdicts(shop, observe(workload("shop", "web", { replicas: 0 }), [finished])), ["Deployment/web: on-target"]);
    });

    it("paused Deployments and OnDelete StatefulSets/DaemonSets are reported and skipped, with what to do", () => {
        const n = decideNamespace(shop, observe(
            workload("shop", "batch", { paused: true, pods: [on("1-30", "1.30.2")] }),
            workload("shop", "db", { kind: "StatefulSet", onDelete: true, pods: [on("1-30", "1.30.2")] }),
            workload("shop", "agent", { kind: "DaemonSet", onDelete: true, pods: [on("1-31", "1.31.0")] }),
        ));
        assert.deepStrictEqual(n.workloads.map(w => `${w.kind}/${w.name}: ${w.verdict}`),
            ["Deployment/batch: paused", "StatefulSet/db: on-delete", "DaemonSet/agent: on-target"]);
        assert.match(n.workloads[0].reason, /rollout resume deployment\/batch/);
        assert.match(n.workloads[1].reason, /OnDelete: delete its pods/);
    });

    it("workloads opting out of injection are left alone", () => {
        assert.deepStrictEqual(verdicts(shop, observe(workload("shop", "legacy", { templateAnnotations: { "sidecar.istio.io/inject": "false" } }))),
            ["Deployment/legacy: opted-out"]);
    });

    it("Jobs, CronJobs, bare pods and other controllers off target are listed with the command to restart them by hand", () => {
        const job = { kind: "Job", metadata: { name: "report-123", namespace: "shop", ownerReferences: [{ kind: "CronJob", name: "report", controller: true }] } };
        const n = decideNamespace(shop, observe([
            job,
            pod("shop", "report-123-x", { kind: "Job", name: "report-123" }, on("1-30", "1.30.2")),
            pod("shop", "backfill-y", { kind: "Job", name: "backfill" }, on("1-30", "1.30.2")),
            pod("shop", "debug", undefined),
            pod("shop", "canary-abc", { kind: "Rollout", name: "canary" }, on("1-30", "1.30.2")),
            pod("shop", "fine", undefined, on("1-31", "1.31.0")),
        ]));
        assert.deepStrictEqual(n.manual.map(m => [m.owner, m.pods]), [["CronJob/report", 1], ["Job/backfill", 1], ["Pod/debug", 1], ["Rollout/canary", 1]]);
        assert.match(n.manual.find(m => m.owner === "Rollout/canary")!.command, /kubectl argo rollouts restart canary -n shop/);
        assert.match(n.manual.find(m => m.owner === "Pod/debug")!.command, /kubectl -n shop delete pod debug/);
    });

    it("single-replica workloads that restart without a PodDisruptionBudget are named; covered ones are not", () => {
        const pdb = { kind: "PodDisruptionBudget", metadata: { name: "api", namespace: "shop" }, spec: { selector: { matchLabels: { app: "api" } } } };
        const n = decideNamespace(shop, observe(
            workload("shop", "web", { pods: [on("1-30", "1.30.2")] }),
            workload("shop", "api", { pods: [on("1-30", "1.30.2")] }),
            workload("shop", "big", { replicas: 3, pods: [on("1-30", "1.30.2")] }),
            [pdb],
        ));
        assert.deepStrictEqual(n.unprotected, ["Deployment/web"]);
    });

    it("waves: namespaces with restarts, in the spec's order, parallelNamespaces at a time; settled ones are not waved", () => {
        const targets = ["a", "b", "c", "d"].map(ns => ({ namespace: ns, label: "1-31", revision: "1-31", version: "1.31.0" }));
        const o: Observation = { namespaceLabels: {}, objects: [
            ...workload("a", "w", { pods: [on("1-30", "1.30.2")] }), ...workload("b", "w", { pods: [on("1-31", "1.31.0")] }),
            ...workload("c", "w", { pods: [on("1-30", "1.30.2")] }), ...workload("d", "w", { pods: [on("1-30", "1.30.2")] }),
        ] };
        assert.deepStrictEqual(planRollout(targets, o, { parallelNamespaces: 1 }).waves, [["a"], ["c"], ["d"]]);
        assert.deepStrictEqual(planRollout(targets, o, { parallelNamespaces: 2 }).waves, [["a", "c"], ["d"]]);
    });

    it("waves: a namespace whose rollout an interrupted up left running gets its wave, so the step awaits it; its request line names no restart", () => {
        const targets = ["a", "b"].map(ns => ({ namespace: ns, label: "1-31", revision: "1-31", version: "1.31.0" }));
        const o: Observation = { namespaceLabels: {}, objects: [
            ...workload("a", "w", { record: "1-31@1.31.0", rolling: true, replicas: 2, pods: [on("1-30", "1.30.2"), on("1-31", "1.31.0")] }),
            ...workload("b", "w", { pods: [on("1-30", "1.30.2")] }),
        ] };
        const plan = planRollout(targets, o, { parallelNamespaces: 1 });
        assert.deepStrictEqual(plan.waves, [["a"], ["b"]]);
        assert.strictEqual(formatRequest(plan), "a 1-31 1-31@1.31.0\nb 1-31 1-31@1.31.0 Deployment/w@1");
    });

    it("the request names each workload and round-trips to its targets", () => {
        const plan = planRollout([shop, { namespace: "cart", label: "default", revision: "1-30", version: "1.30.2" }],
            observe(workload("shop", "web", { generation: 7, pods: [on("1-30", "1.30.2")] }), workload("shop", "db", { kind: "StatefulSet", pods: [{}] }),
                workload("cart", "cart", { pods: [on("1-30", "1.30.2")] })), { parallelNamespaces: 1 });
        const text = formatRequest(plan);
        assert.strictEqual(text, "shop 1-31 1-31@1.31.0 Deployment/web@7 StatefulSet/db@1");
        assert.deepStrictEqual(parseRequest(text), [shop]);
        assert.throws(() => parseRequest("shop 1-31"), /malformed restart request line "shop 1-31"/);
    });

    it("a namespace labelled by hand is refused before any restart, naming the label, the key and the fix", () => {
        assert.strictEqual(labelProblem(shop, "1-31"), undefined);
        assert.match(labelProblem(shop, "1-30")!, /namespace shop is labelled istio.io\/rev=1-30, not 1-31 as istio-mesh:namespaces.shop says.*pulumi up --refresh/);
    });

    it("a label changed outside the program since it applied the same target is noticed, once per change", () => {
        const o: Observation = { namespaceLabels: { shop: "1-30", cart: "1-31" }, namespaceVersions: { shop: "42", cart: "43" }, objects: [] };
        assert.strictEqual(labelChangedOutside("shop", "1-31", "1-31", o), "1-30@42");
        assert.strictEqual(labelChangedOutside("cart", "1-31", "1-31", o), undefined, "unchanged");
        assert.strictEqual(labelChangedOutside("shop", "1-31", "1-30", o), undefined, "the binding changes anyway: the patch updates");
        assert.strictEqual(labelChangedOutside("shop", "1-31", undefined, o), undefined, "first bind: nothing to take back");
        assert.strictEqual(labelChangedOutside("search", "1-31", "1-31", o), undefined, "not observed");
        assert.strictEqual(labelChangedOutside("shop", "1-31", "1-31", undefined), undefined, "render mode");
        assert.strictEqual(labelChangedOutside("shop", "1-31", "1-31", { ...o, namespaceLabels: { shop: undefined } }), "(none)@42", "label removed");
    });
});

describe("model/rollout: the rollout's summary lines", () => {
    const target = (ns: string, revision = "1-31", version = "1.31.0"): NamespaceTarget => ({ namespace: ns, label: revision, revision, version });
    /** Every namespace runs one Deployment whose pod was injected by 1-30. */
    const cluster = (names: string[]): Observation => ({ namespaceLabels: {}, objects: names.flatMap(ns => workload(ns, "web", { pods: [on("1-30", "1.30.4")] })) });
    /** The restart lines (each single-replica Deployment also gets its own warning line, unchanged). */
    const summary = (names: string[], parallelNamespaces: number, targets = names.map(n => target(n))) =>
        rolloutSummary(reportRollout(planRollout(targets, cluster(names), { parallelNamespaces }), "auto")).filter(l => /^waves? /.test(l));

    it("three namespaces or fewer restarting: a line each, with its wave", () => {
        assert.deepStrictEqual(summary(["a", "b", "c"], 1), [
            "wave 1/3: restart namespace a onto 1-31 (1.31.0): Deployment/web",
            "wave 2/3: restart namespace b onto 1-31 (1.31.0): Deployment/web",
            "wave 3/3: restart namespace c onto 1-31 (1.31.0): Deployment/web",
        ]);
    });

    it("more: one line per revision they restart onto, naming the waves and each namespace with its workloads", () => {
        const names = ["a", "b", "c", "d", "e"];
        assert.deepStrictEqual(summary(names, 2, [...names.slice(0, 4).map(n => target(n)), target("e", "1-29", "1.29.3")]), [
            "waves 1-2/3: restart 4 namespaces onto 1-31 (1.31.0): a (Deployment/web), b (Deployment/web), c (Deployment/web), d (Deployment/web)",
            "wave 3/3: restart 1 namespace onto 1-29 (1.29.3): e (Deployment/web)",
        ]);
        assert.deepStrictEqual(summary(names, 5), ["wave 1/1: restart 5 namespaces onto 1-31 (1.31.0): a (Deployment/web), b (Deployment/web), " +
            "c (Deployment/web), d (Deployment/web), e (Deployment/web)"]);
    });
});
