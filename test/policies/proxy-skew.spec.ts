import { proxyNotNewerThanControlPlane as policy } from "../../policies/proxy-skew";
import { happySpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

describe("istio-proxy-not-newer-than-control-plane", () => {
    for (const view of VIEWS) {
        it(`accepts the happy mesh (${view})`, () => assertNoStackViolations(policy, stackArgs(renderMesh(happySpec(), view))));
    }

    it("refuses a gateway pinned to a newer proxy than its revision", () => {
        const spec = happySpec();
        spec.gateways[0].pinnedImage = "registry.example.com/istio/proxyv2:1.30.2";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "objects")), {
            message: /Deployment istio-ingress\/istio-ingress: gateway pins proxy image .*proxyv2:1.30.2 and is served by revision 1-29 \(via tag stable\): proxy 1.30.2 is newer than its control plane 1.29.3; upgrade istiod first/,
            urn: "urn:pulumi:test::istio-mesh::kubernetes:apps/v1:Deployment::istio-ingress",
        });
    });

    it("refuses a newer patch too (patch versions matter)", () => {
        const spec = happySpec();
        spec.gateways[0].pinnedImage = "registry.example.com/istio/proxyv2:1.29.4";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "both")), { message: "proxy 1.29.4 is newer than its control plane 1.29.3" });
    });

    it("refuses istiod more than one minor ahead of a pinned gateway", () => {
        const spec = happySpec();
        spec.gateways[0].revision = "1-30";
        spec.gateways[0].pinnedImage = "registry.example.com/istio/proxyv2:1.28.5";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "objects")), { message: "control plane 1.30.2 is 2 minors ahead of proxy 1.28.5" });
    });

    it("accepts a pinned gateway one minor behind its control plane", () => {
        const spec = happySpec();
        spec.gateways[0].revision = "1-30";
        spec.gateways[0].pinnedImage = "registry.example.com/istio/proxyv2:1.29.3-distroless";
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec, "objects")));
    });

    it("refuses a workload whose sidecar image is pinned newer than the revision of its namespace", () => {
        const spec = happySpec();
        spec.workloads[0].proxyImage = "registry.example.com/istio/proxyv2:1.30.2";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "charts")), {
            message: /Deployment shop\/checkout: workload pins proxy image .* served by revision 1-29 \(via tag stable\): proxy 1.30.2 is newer/,
        });
    });

    it("judges a pinned workload by its namespace's revision, which wins over its pod label", () => {
        const spec = happySpec();
        spec.workloads[0] = { name: "checkout", namespace: "payments", podLabels: { "istio.io/rev": "1-29" }, proxyImage: "registry.example.com/istio/proxyv2:1.30.2" };
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
    });

    it("leaves a proxy whose revision is not installed to istio-revision-references-installed", () => {
        const spec = happySpec();
        spec.gateways[0].revision = "1-31";
        spec.gateways[0].pinnedImage = "registry.example.com/istio/proxyv2:1.31.0";
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec, "objects")));
    });
});
