import { unknownCheckingProxy } from "@pulumi/policy";
import { webhooksRemovedWithRevision as policy } from "../../policies/webhooks";
import { happySpec, istiodObjects, objectResource, renderMesh, TYPES, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The plan after retiring revision 1-28, whose webhooks (and maybe Service) were left behind. */
function leftBehind(kinds: string[]) {
    const spec = happySpec();
    const retired = istiodObjects(spec, { name: "1-28", version: "1.28.4" }).filter(o => kinds.includes(o.kind));
    return { spec, leftovers: retired.map(objectResource) };
}

describe("istio-webhooks-removed-with-revision", () => {
    for (const view of VIEWS) {
        it(`accepts the happy mesh (${view})`, () => assertNoStackViolations(policy, stackArgs(renderMesh(happySpec(), view))));

        it(`refuses an injector and a validator left behind by a retired revision (${view})`, async () => {
            const { spec, leftovers } = leftBehind(["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);
            const args = stackArgs([...renderMesh(spec, view), ...leftovers]);
            await assertHasStackViolation(policy, args, {
                message: "MutatingWebhookConfiguration istio-sidecar-injector-1-28: calls Service istio-system/istiod-1-28 of revision 1-28, " +
                    "which the plan does not install; every pod creation it matches would fail. Delete this webhook with the revision, " +
                    "or point it at an installed revision",
                urn: "urn:pulumi:test::istio-mesh::kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration::istio-sidecar-injector-1-28",
            });
            await assertHasStackViolation(policy, args, {
                message: /^ValidatingWebhookConfiguration istio-validator-1-28-istio-system: .*every Istio config write it matches would fail/,
            });
        });
    }

    it("says when the Service is still declared but no istiod runs behind it", () => {
        const { spec, leftovers } = leftBehind(["MutatingWebhookConfiguration", "Service"]);
        return assertHasStackViolation(policy, stackArgs([...renderMesh(spec, "objects"), ...leftovers]), {
            message: "(the Service is declared, but no istiod of that revision runs behind it)",
        });
    });

    it("refuses a tag webhook whose revision is gone", () => {
        const spec = happySpec();
        spec.tags.old = "1-28";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec)), {
            message: /^MutatingWebhookConfiguration istio-revision-tag-old: calls Service istio-system\/istiod-1-28 of revision 1-28/,
        });
    });

    it("refuses the default validator pointing at a retired revision", () => {
        const spec = happySpec();
        spec.base!.defaultRevision = "1-28";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "objects")), { message: /^ValidatingWebhookConfiguration istiod-default-validator: calls Service istio-system\/istiod-1-28/ });
    });

    it("accepts webhooks calling a tag's Service while the tag resolves, and refuses them once it does not", async () => {
        const hook = (service: string) => objectResource({
            kind: "MutatingWebhookConfiguration", metadata: { name: `hook-${service}` },
            webhooks: [{ name: "x", clientConfig: { service: { name: service, namespace: "istio-system" } } }],
        });
        await assertNoStackViolations(policy, stackArgs([...renderMesh(happySpec()), hook("istiod-revision-tag-stable")]));
        await assertHasStackViolation(policy, stackArgs([...renderMesh(happySpec()), hook("istiod-revision-tag-gone")]), { message: "of tag gone" });
    });

    it("leaves webhooks of other software alone", () => assertNoStackViolations(policy, stackArgs([
        ...renderMesh(happySpec()),
        objectResource({
            kind: "ValidatingWebhookConfiguration", metadata: { name: "cert-manager-webhook" },
            webhooks: [{ name: "x", clientConfig: { service: { name: "cert-manager-webhook", namespace: "cert-manager" } } }],
        }),
    ])));

    it("does not conclude anything while a revision name is unknown (preview)", () => {
        const { spec, leftovers } = leftBehind(["MutatingWebhookConfiguration"]);
        const resources = [...renderMesh(spec, "charts"), ...leftovers];
        const chart = resources.find(r => r.type === TYPES.chart && r.name === "istiod-1-30")!;
        chart.props = unknownCheckingProxy({ ...chart.props, values: { ...chart.props.values, revision: UNKNOWN_STRING } });
        return assertNoStackViolations(policy, stackArgs(resources));
    });
});
