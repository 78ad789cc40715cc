import * as assert from "assert";
import { ambientTarget, decideNamespace, labelProblem, NamespaceTarget, Observation } from "../../../model/rollout";
import { parseMeshConfig } from "../../../model/config";
import { meshFacts } from "../../../model/facts";
import { legacyInjectionStep, withLegacyInjection } from "../../../model/legacyInjection";
import { workload } from "../../support/cluster";

const AMBIENT = ambientTarget("shop", "1.31.0");
const observe = (objects: Observation["objects"]): Observation => ({ namespaceLabels: { shop: undefined }, namespaceModes: { shop: "ambient" }, objects });
const verdicts = (o: Observation, target: NamespaceTarget = AMBIENT) => decideNamespace(target, o).workloads.map(w => [w.name, w.verdict, w.reason]);

describe("migration to and from ambient: the restart decision by observation", () => {
    it("pods with a sidecar in an ambient namespace restart; ambient pods need none (a ztunnel upgrade included)", () => {
        assert.deepStrictEqual(verdicts(observe([
            ...workload("shop", "sidecar", { pods: [{ revision: "1-30", version: "1.30.4" }, { revision: "1-30", version: "1.30.4" }], replicas: 2 }),
            ...workload("shop", "moved", { pods: [{}], record: "ambient@ztunnel-1.30.4" }),
            ...workload("shop", "plain", { pods: [{}] }),
        ])), [
            ["moved", "on-target", "runs in the ambient mesh (no sidecar; a ztunnel upgrade needs no restart)"],
            ["plain", "on-target", "runs in the ambient mesh (no sidecar; a ztunnel upgrade needs no restart)"],
            ["sidecar", "restart", "2 pod(s) still have a sidecar in an ambient namespace"],
        ]);
    });

    it("a workload already rolling into ambient is awaited, not restarted again", () => {
        assert.deepStrictEqual(verdicts(observe(workload("shop", "web", { pods: [{ revision: "1-30" }], record: "ambient@ztunnel-1.31.0", rolling: true }))),
            [["web", "rolling", "already rolling into the ambient mesh"]]);
    });

    it("back to sidecars: ambient pods (no sidecar, record ambient) restart onto the revision", () => {
        const sidecar: NamespaceTarget = { namespace: "shop", label: "1-31", revision: "1-31", version: "1.31.0" };
        assert.deepStrictEqual(verdicts({ namespaceLabels: { shop: "1-31" }, objects: workload("shop", "web", { pods: [{}], record: "ambient@ztunnel-1.31.0" }) }, sidecar),
            [["web", "restart", "pods without a sidecar"]]);
    });

    it("the restart step refuses an ambient namespace still labelled to inject sidecars, or not enrolled", () => {
        assert.strictEqual(labelProblem(AMBIENT, undefined, "ambient"), undefined);
        assert.match(labelProblem(AMBIENT, "1-30", "ambient")!, /is labelled istio\.io\/dataplane-mode=ambient and istio\.io\/rev=1-30, which injects sidecars/);
        assert.match(labelProblem(AMBIENT, undefined, "ambient", "enabled")!, /istio-injection=enabled, which injects sidecars.*kubectl label namespace shop istio-injection-/);
        assert.match(labelProblem(AMBIENT, undefined, undefined)!, /labelled istio\.io\/dataplane-mode=\(none\)/);
    });
});

describe("the legacy istio-injection label in ambient namespaces", () => {
    it("is held (removed) for an ambient namespace as for a sidecar one, so moving a namespace to ambient does not give it back", () => {
        const raw = { revisions: [{ version: "1.30.4" }], cni: { enabled: true }, namespaces: { search: "1-30" }, ambient: { enabled: true, namespaces: ["catalog"] } };
        const previous = { ...meshFacts(parseMeshConfig({ ...raw, namespaces: { search: "1-30", catalog: "1-30" }, ambient: { enabled: true } })).state, legacyInjection: { catalog: "enabled" } };
        const facts = withLegacyInjection(meshFacts(parseMeshConfig(raw, previous)), previous, {});
        assert.deepStrictEqual(facts.state.legacyInjection, { catalog: "enabled" });
        assert.strictEqual(legacyInjectionStep(facts.state, previous).request, "hold catalog enabled\n", "held, not given back");
    });
});
