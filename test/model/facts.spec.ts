import * as assert from "assert";
import { parseMeshConfig, RawConfig } from "../../model/config";
import { crdDowngrade, MeshState, meshFacts, needsRestart, planUpgrade } from "../../model/facts";

/** Runs config through spec and facts, with `previous` as the recorded state. */
function step(raw: RawConfig, previous?: MeshState) {
    const facts = meshFacts(parseMeshConfig(raw, previous), previous);
    return { facts, plan: planUpgrade(previous, facts) };
}

/** The canary runbook as a sequence of configs. */
const canary = {
    before: { revisions: [{ version: "1.29.3" }], tags: { default: "1-29" }, namespaces: { shop: "default", cart: "default" },
        gateways: [{ name: "ingress", revision: "default" }] },
    installAlongside: { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" },
        namespaces: { shop: "default", cart: "default" }, gateways: [{ name: "ingress", revision: "default" }] },
    moveShop: { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" },
        namespaces: { shop: "1-30", cart: "default" }, gateways: [{ name: "ingress", revision: "default" }] },
    moveGatewayAndTag: { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-30" },
        namespaces: { shop: "1-30", cart: "default" }, gateways: [{ name: "ingress", revision: "1-30" }] },
    retire: { revisions: [{ version: "1.30.2" }], tags: { default: "1-30" },
        namespaces: { shop: "1-30", cart: "default" }, gateways: [{ name: "ingress", revision: "1-30" }] },
};

describe("spec/facts: effective revisions and the upgrade plan", () => {
    it("resolves tags to revisions for namespaces and gateways", () => {
        const { facts } = step(canary.moveShop);
        assert.deepStrictEqual(facts.namespaces.cart, { target: "default", revision: "1-29", version: "1.29.3" });
        assert.deepStrictEqual(facts.namespaces.shop, { target: "1-30", revision: "1-30", version: "1.30.2" });
        assert.deepStrictEqual(facts.gateways["istio-system/ingress"], { target: "default", revision: "1-29", version: "1.29.3" });
        assert.strictEqual(facts.defaultRevision, "1-29");
        assert.strictEqual(facts.newest.name, "1-30");
        const r129 = facts.revisions.find(r => r.name === "1-29")!;
        assert.deepStrictEqual(r129.namespaces, ["cart"]);
        assert.deepStrictEqual(r129.tags, ["default"]);
        assert.deepStrictEqual(r129.gateways, ["istio-system/ingress"]);
    });

    it("first run: everything is added and every namespace restarts once", () => {
        const { plan } = step(canary.before);
        assert.deepStrictEqual(plan.revisionsAdded, [{ name: "1-29", version: "1.29.3" }]);
        assert.deepStrictEqual(plan.namespacesMoving.map(m => m.name), ["cart", "shop"]);
    });

    it("install alongside: a control plane appears, nothing moves", () => {
        const before = step(canary.before).facts.state;
        const { plan } = step(canary.installAlongside, before);
        assert.deepStrictEqual(plan.revisionsAdded, [{ name: "1-30", version: "1.30.2" }]);
        assert.deepStrictEqual(plan.namespacesMoving, []);
        assert.deepStrictEqual(plan.gatewaysMoving, []);
        assert.deepStrictEqual(plan.tagsMoved, []);
        assert.deepStrictEqual(plan.summary, ["CRDs: 1.29.3 -> 1.30.2, applied before any control plane", "add control plane 1-30 (1.30.2)"]);
    });

    it("move one namespace: only it moves and restarts", () => {
        const before = step(canary.installAlongside, step(canary.before).facts.state).facts.state;
        const { plan } = step(canary.moveShop, before);
        assert.deepStrictEqual(plan.namespacesMoving.map(m => m.name), ["shop"]);
        assert.strictEqual(plan.namespacesMoving[0].from!.revision, "1-29");
        assert.strictEqual(plan.namespacesMoving[0].to!.revision, "1-30");
        assert.deepStrictEqual(plan.summary, ["namespace shop: default -> 1-29 (1.29.3) -> 1-30 (1.30.2)"]);
    });

    it("move the default tag: every namespace following it moves; the gateway moves", () => {
        const before = step(canary.moveShop).facts.state;
        const { plan } = step(canary.moveGatewayAndTag, before);
        assert.deepStrictEqual(plan.tagsMoved, [{ tag: "default", from: "1-29", to: "1-30" }]);
        assert.deepStrictEqual(plan.namespacesMoving.map(m => m.name), ["cart"]);
        assert.deepStrictEqual(plan.gatewaysMoving.map(g => g.name), ["istio-system/ingress"]);
    });

    it("retire: the old control plane goes, nothing restarts", () => {
        const before = step(canary.moveGatewayAndTag).facts.state;
        const { plan } = step(canary.retire, before);
        assert.deepStrictEqual(plan.revisionsRetired, [{ name: "1-29", version: "1.29.3" }]);
        assert.deepStrictEqual(plan.namespacesMoving, []);
        assert.deepStrictEqual(plan.summary, ["retire control plane 1-29 (1.29.3) once no running pod uses it"]);
    });

    it("roll back one namespace: it moves back and restarts", () => {
        const before = step(canary.moveShop).facts.state;
        const { plan } = step(canary.installAlongside, before);
        assert.deepStrictEqual(plan.namespacesMoving.map(m => [m.name, m.to!.revision]), [["shop", "1-29"]]);
    });

    it("more than three namespaces making the same change share one line naming them all; three or fewer get a line each", () => {
        const a = (target: string) => Object.fromEntries(["a1", "a2", "a3", "a4", "a5"].map(n => [n, target]));
        const before = step({ ...canary.installAlongside, namespaces: { ...a("default"), b1: "default", b2: "default", b3: "default", c1: "default" } }).facts.state;
        // a*: five move revision; b*: three change label only; c1: released.
        const { plan } = step({ ...canary.installAlongside, namespaces: { ...a("1-30"), b1: "1-29", b2: "1-29", b3: "1-29" } }, before);
        assert.deepStrictEqual(plan.summary, [
            "5 namespaces: default -> 1-29 (1.29.3) -> 1-30 (1.30.2): a1, a2, a3, a4, a5",
            "namespace b1: default -> 1-29 (1.29.3) -> 1-29 (1.29.3); label only",
            "namespace b2: default -> 1-29 (1.29.3) -> 1-29 (1.29.3); label only",
            "namespace b3: default -> 1-29 (1.29.3) -> 1-29 (1.29.3); label only",
            "namespace c1: no longer managed (label removed, no restart)",
        ]);
        assert.strictEqual(plan.namespacesMoving.length, 8, "the plan itself still lists each namespace");
    });

    it("a label-only change (tag replaced by the revision it points at) restarts nothing", () => {
        const before = step(canary.moveShop).facts.state;
        const { plan } = step({ ...canary.moveShop, namespaces: { shop: "1-30", cart: "1-29" } }, before);
        assert.deepStrictEqual(plan.namespacesMoving.map(m => m.name), ["cart"]);
        assert.ok(!needsRestart(plan.namespacesMoving[0].from, plan.namespacesMoving[0].to!));
        assert.match(plan.summary[0], /; label only$/);
    });

    it("in-place upgrade: recorded as upgradedFrom (sticky) and every namespace on it restarts", () => {
        const v1 = step({ revisions: [{ name: "stable", version: "1.29.3" }], namespaces: { shop: "stable" } }).facts.state;
        const { facts, plan } = step({ revisions: [{ name: "stable", version: "1.30.2" }], namespaces: { shop: "stable" } }, v1);
        assert.deepStrictEqual(plan.revisionsUpgradedInPlace, [{ name: "stable", from: "1.29.3", to: "1.30.2" }]);
        assert.deepStrictEqual(plan.namespacesMoving.map(m => m.name), ["shop"]);
        assert.strictEqual(facts.revisions[0].upgradedFrom, "1.29.3");
        const again = step({ revisions: [{ name: "stable", version: "1.30.2" }], namespaces: { shop: "stable" } }, facts.state);
        assert.strictEqual(again.facts.revisions[0].upgradedFrom, "1.29.3");
        assert.deepStrictEqual(again.plan.summary, []);
    });

    it("a namespace dropped from config is released without a restart", () => {
        const before = step(canary.moveShop).facts.state;
        const { plan } = step({ ...canary.moveShop, namespaces: { shop: "1-30" } }, before);
        assert.deepStrictEqual(plan.namespacesReleased, ["cart"]);
        assert.deepStrictEqual(plan.namespacesMoving, []);
    });

    it("CNI version changes are part of the plan", () => {
        const before = step({ ...canary.installAlongside, cni: { enabled: true, version: "1.29.3" } }).facts.state;
        const { plan } = step({ ...canary.installAlongside, cni: { enabled: true, version: "1.30.2" } }, before);
        assert.deepStrictEqual(plan.cni, { from: "1.29.3", to: "1.30.2" });
    });
});

describe("spec/facts: the CRDs are never downgraded by a revert", () => {
    const facts = (raw: any, previous?: MeshState) => meshFacts(parseMeshConfig(raw, previous), previous);

    it("records the CRDs' version: the newest revision's", () => {
        assert.deepStrictEqual(facts({ revisions: [{ version: "1.29.3" }, { version: "1.30.2" }] }).state.crds, { version: "1.30.2", step: true });
    });

    it("reverting the step that added a newer revision is refused, naming the key, the versions and the fix", () => {
        const added = facts({ revisions: [{ version: "1.29.3" }, { version: "1.30.2" }] }).state;
        const problem = crdDowngrade(added, facts({ revisions: [{ version: "1.29.3" }] }, added));
        assert.strictEqual(problem?.key, "revisions");
        assert.match(problem!.message, /the CRDs are at 1\.30\.2; this config's newest revision is 1\.29\.3/);
        assert.match(problem!.fix, /keep a revision at 1\.30\.2 or newer in istio-mesh:revisions.*ISTIO_MESH_ALLOW_CRD_DOWNGRADE=1/);
    });

    it("retiring the old revision, adding a newer one, or a state of an older program without the record: no refusal", () => {
        const both = facts({ revisions: [{ version: "1.29.3" }, { version: "1.30.2" }] }).state;
        assert.strictEqual(crdDowngrade(both, facts({ revisions: [{ version: "1.30.2" }] }, both)), undefined);
        assert.strictEqual(crdDowngrade(both, facts({ revisions: [{ version: "1.30.2" }, { version: "1.31.0" }] }, both)), undefined);
        assert.strictEqual(crdDowngrade(undefined, facts({ revisions: [{ version: "1.29.3" }] })), undefined);
        const { crds, ...older } = both;
        assert.ok(crds);
        assert.ok(crdDowngrade(older, facts({ revisions: [{ version: "1.29.3" }] }, older)), "falls back to the newest recorded revision");
    });
});
