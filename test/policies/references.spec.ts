import { unknownCheckingProxy } from "@pulumi/policy";
import { revisionReferencesInstalled as policy } from "../../policies/references";
import { happySpec, renderMesh, resource, TYPES, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("istio-revision-references-installed", () => {
    for (const view of VIEWS) {
        it(`accepts the happy mesh (${view})`, () => assertNoStackViolations(policy, stackArgs(renderMesh(happySpec(), view))));

        it(`refuses a namespace bound to a revision the plan does not install (${view})`, () => {
            const spec = happySpec();
            spec.namespaces.find(n => n.name === "shop")!.labels = { "istio.io/rev": "1-28" };
            return assertHasStackViolation(policy, stackArgs(renderMesh(spec, view)), {
                message: "Namespace shop: istio.io/rev=1-28 names no revision or tag the plan installs; use one of 1-29, 1-30, tag default, tag stable",
                urn: "urn:pulumi:test::istio-mesh::kubernetes:core/v1:Namespace::shop",
            });
        });

        it(`refuses a gateway bound to a revision the plan does not install (${view})`, () => {
            const spec = happySpec();
            spec.gateways[0].revision = "canary";
            return assertHasStackViolation(policy, stackArgs(renderMesh(spec, view)), {
                message: /istio-ingress.*gateway names revision canary, which the plan does not install/,
            });
        });

        it(`refuses a tag pointing at a retired revision (${view})`, () => {
            const spec = happySpec();
            spec.revisions = spec.revisions.filter(r => r.name !== "1-29");
            return assertHasStackViolation(policy, stackArgs(renderMesh(spec, view)), {
                message: "MutatingWebhookConfiguration istio-revision-tag-stable: tag stable points at revision 1-29, which the plan does not install; " +
                    "move the tag to an installed revision before retiring 1-29",
            });
        });
    }

    it("refuses istio-injection=enabled namespaces when nothing holds the default tag", () => {
        const spec = happySpec();
        delete spec.tags.default;
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec)), {
            message: "Namespace legacy: istio-injection=enabled is served by the default tag, and nothing holds it, so its pods get no sidecar; " +
                "add tag default pointing at revision 1-30, or label with istio.io/rev instead",
        });
    });

    it("accepts istio-injection=enabled served by an unrevisioned control plane", () => {
        const spec = happySpec();
        delete spec.tags.default;
        spec.revisions.push({ name: "default", version: "1.30.2" });
        const resources = renderMesh(spec, "charts");
        resources.find(r => r.name === "istiod-default")!.props.values.revision = "";
        return assertNoStackViolations(policy, stackArgs(resources));
    });

    it("refuses a gateway without a revision when nothing holds the default tag", () => {
        const spec = happySpec();
        delete spec.tags.default;
        spec.namespaces = spec.namespaces.filter(n => n.name !== "legacy");
        spec.gateways[0].revision = undefined;
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "charts")), {
            message: /gateway names no revision, so the default tag must inject it, and nothing holds that tag; set the gateway's revision/,
        });
    });

    it("accepts a gateway without a revision when the default tag is held", () => {
        const spec = happySpec();
        spec.gateways[0].revision = undefined;
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
    });

    it("sees pods opted in with sidecar.istio.io/inject=true in a namespace without a revision label", () => {
        const spec = happySpec();
        delete spec.tags.default;
        spec.namespaces = spec.namespaces.filter(n => n.name !== "legacy");
        spec.namespaces.push({ name: "batch", labels: {} });
        spec.workloads.push({ name: "report", namespace: "batch", podLabels: { "sidecar.istio.io/inject": "true" } });
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec)), {
            message: "Deployment batch/report: workload opts in with sidecar.istio.io/inject=true in namespace batch, which names no revision, " +
                "so the default tag must inject it, and nothing holds that tag: its pods get no sidecar; label namespace batch with istio.io/rev",
        });
    });

    it("accepts opted-in pods while the default tag is held, and leaves them to their namespace's revision label", () => {
        const spec = happySpec();
        spec.namespaces.push({ name: "batch", labels: {} });
        spec.workloads.push({ name: "report", namespace: "batch", podLabels: { "sidecar.istio.io/inject": "true" } });
        spec.workloads.push({ name: "api", namespace: "shop", podLabels: { "sidecar.istio.io/inject": "true" } });
        assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
        delete spec.tags.default;
        spec.namespaces = spec.namespaces.filter(n => n.name !== "legacy" && n.name !== "batch");
        spec.workloads = spec.workloads.filter(w => w.name !== "report");
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
    });

    it("refuses a base chart whose defaultRevision is not installed", () => {
        const spec = happySpec();
        spec.base!.defaultRevision = "1-28";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "charts")), {
            message: /base chart \(resource "istio-base"\): defaultRevision 1-28 is not a revision the plan installs/,
        });
    });

    it("refuses a workload whose pod names a missing revision", () => {
        const spec = happySpec();
        spec.workloads.push({ name: "api", namespace: "istio-ingress", podLabels: { "istio.io/rev": "1-27" } });
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec)), { message: "Deployment istio-ingress/api: workload names revision 1-27" });
    });

    it("does not apply to a plan without Istio (labels for a mesh installed elsewhere)", () => {
        return assertNoStackViolations(policy, stackArgs([
            resource(TYPES.namespace, "shop", { metadata: { name: "shop", labels: { "istio.io/rev": "prod" } } }),
        ]));
    });

    it("does not conclude anything while a revision name is unknown (preview)", () => {
        const spec = happySpec();
        spec.namespaces.find(n => n.name === "shop")!.labels = { "istio.io/rev": "1-28" };
        const resources = renderMesh(spec, "charts");
        const chart = resources.find(r => r.name === "istiod-1-30")!;
        chart.props = unknownCheckingProxy({ ...chart.props, values: { ...chart.props.values, revision: UNKNOWN_STRING } });
        return assertNoStackViolations(policy, stackArgs(resources));
    });
});
