import * as assert from "assert";
import { EnforcementLevel } from "@pulumi/policy";
import { endOfLifePolicy } from "../../policies/end-of-life";
import { evaluatePolicies, policyConfig } from "../support/evaluate";
import { istioMeshPolicies, PACK_ENFORCEMENT_LEVEL } from "../../policies/policies";
import { ResourceLike } from "../../policies/resources";
import { happySpec, MeshSpec, renderMesh, resource, TYPES, VIEWS } from "./mesh-fixture";

const EOL = "istio-version-not-end-of-life";
/** The pack with its end-of-life clock pinned to a day when 1.29 and 1.30 are both supported. */
const pinned = istioMeshPolicies.map(p => p.name === EOL ? endOfLifePolicy(() => new Date("2026-06-01T00:00:00Z")) : p);

function bothLabels(): MeshSpec {
    const spec = happySpec();
    spec.namespaces.find(n => n.name === "legacy")!.labels["istio.io/rev"] = "1-29";
    return spec;
}

describe("istio-mesh policy pack", () => {
    it("names every policy in kebab-case with the istio- prefix, once", () => {
        const names = istioMeshPolicies.map(p => p.name);
        assert.strictEqual(new Set(names).size, names.length);
        for (const name of names) {
            assert.match(name, /^istio-[a-z0-9]+(-[a-z0-9]+)*$/);
        }
    });

    it("gives every policy a description saying what to do, and an enforcement level", () => {
        for (const policy of istioMeshPolicies) {
            assert.ok(policy.description.length > 80, `${policy.name} needs a description`);
            assert.ok(["advisory", "mandatory"].includes(policy.enforcementLevel!), `${policy.name} needs an enforcement level`);
            // The engine rejects a pack whose schema declares enforcementLevel itself.
            assert.ok(!policy.configSchema?.properties.enforcementLevel, policy.name);
        }
    });

    it("is mandatory except for the advisories (end of life, pull secrets)", () => {
        const levels = Object.fromEntries(istioMeshPolicies.map(p => [p.name, p.enforcementLevel]));
        assert.deepStrictEqual(Object.entries(levels).filter(([, l]) => l === "advisory").map(([n]) => n).sort(),
            ["istio-private-hub-pull-secrets", "istio-version-not-end-of-life"]);
        assert.strictEqual(PACK_ENFORCEMENT_LEVEL, "mandatory");
    });

    for (const view of VIEWS) {
        it(`finds nothing wrong with the happy mesh (${view})`, async () => {
            assert.deepStrictEqual(await evaluatePolicies(renderMesh(happySpec(), view), {}, pinned), []);
        });
    }

    it("reports a violation with its policy, level, message and resource", async () => {
        assert.deepStrictEqual(await evaluatePolicies(renderMesh(bothLabels()), {}, pinned), [{
            policyName: "istio-namespace-single-injection-label",
            enforcementLevel: "mandatory",
            message: "Namespace legacy: namespace legacy has both istio-injection=enabled and istio.io/rev=1-29; its pods are injected by " +
                "whatever holds the default tag, not by 1-29. Remove istio-injection and keep istio.io/rev=1-29",
            urn: "urn:pulumi:test::istio-mesh::kubernetes:core/v1:Namespace::legacy",
        }]);
    });

    describe("pack config", () => {
        const levelOf = async (level: EnforcementLevel | { enforcementLevel: EnforcementLevel }) =>
            (await evaluatePolicies(renderMesh(bothLabels()), { "istio-namespace-single-injection-label": level }, pinned))
                .map(v => v.enforcementLevel);

        it("makes a mandatory policy advisory", async () => assert.deepStrictEqual(await levelOf({ enforcementLevel: "advisory" }), ["advisory"]));
        it("accepts the short form (just a level)", async () => assert.deepStrictEqual(await levelOf("advisory"), ["advisory"]));
        it("disables a policy", async () => assert.deepStrictEqual(await levelOf("disabled"), []));
        it("reports a still-failing remediate policy as mandatory", async () => assert.deepStrictEqual(await levelOf("remediate"), ["mandatory"]));

        it("makes an advisory policy mandatory", async () => {
            const violations = await evaluatePolicies(renderMesh(happySpec()), { [EOL]: "mandatory" },
                istioMeshPolicies.map(p => p.name === EOL ? endOfLifePolicy(() => new Date("2026-12-01T00:00:00Z")) : p));
            assert.ok(violations.length > 0 && violations.every(v => v.policyName === EOL && v.enforcementLevel === "mandatory"));
        });

        it("passes settings to the policy, without enforcementLevel", async () => {
            assert.deepStrictEqual(policyConfig({ name: "p", enforcementLevel: "mandatory" }, { p: { enforcementLevel: "advisory", maxControlPlanes: 1 } }),
                { enforcementLevel: "advisory", settings: { maxControlPlanes: 1 } });
            const violations = await evaluatePolicies(renderMesh(happySpec()), { "istio-max-control-planes": { maxControlPlanes: 1 } }, pinned);
            assert.deepStrictEqual(violations.map(v => v.policyName), ["istio-max-control-planes"]);
        });
    });

    it("names resources registered without a URN", async () => {
        const violations = await evaluatePolicies([
            ...renderMesh(happySpec()),
            { type: TYPES.namespace, name: "legacy-2", props: { metadata: { name: "legacy-2", labels: { "istio-injection": "enabled", "istio.io/rev": "1-30" } } } },
        ], {}, pinned);
        assert.deepStrictEqual(violations.map(v => v.urn), ["urn:pulumi:stack::project::kubernetes:core/v1:Namespace::legacy-2"]);
    });

    it("runs every policy over 5,000 resources within a second", async () => {
        const resources: ResourceLike[] = renderMesh(happySpec());
        for (let i = 0; resources.length < 5000; i++) {
            resources.push(resource(TYPES.namespace, `team-${i}`, { metadata: { name: `team-${i}`, labels: { "istio.io/rev": i % 2 ? "stable" : "1-30" } } }));
            resources.push(resource(TYPES.deployment, `app-${i}`, {
                metadata: { name: `app-${i}`, namespace: `team-${i}` },
                spec: { template: { metadata: { labels: { app: `app-${i}` } }, spec: { containers: [{ name: "app", image: `apps/app-${i}:1` }] } } },
            }));
            resources.push(resource("istio-mesh:index:Namespace", `team-${i}`, { name: `team-${i}` }));
        }
        await evaluatePolicies(resources, {}, pinned);
        const start = process.hrtime.bigint();
        const violations = await evaluatePolicies(resources, { "istio-images-from-allowed-registries": { allowedRegistries: ["registry.example.com"] } }, pinned);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        assert.deepStrictEqual(violations, []);
        assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    });
});
