import { cniControlPlaneSkew as policy } from "../../policies/cni";
import { happySpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

describe("istio-cni-control-plane-skew", () => {
    for (const view of VIEWS) {
        it(`accepts the happy mesh, CNI 1.29 with control planes 1.29 and 1.30 (${view})`, () =>
            assertNoStackViolations(policy, stackArgs(renderMesh(happySpec(), view))));

        it(`refuses CNI newer than a control plane (${view})`, () => {
            const spec = happySpec();
            spec.cni!.version = "1.30.2";
            return assertHasStackViolation(policy, stackArgs(renderMesh(spec, view)), {
                message: /revision 1-29: istio-cni 1.30.2 is newer than control plane 1.29.3; upgrade istiod first, then CNI/,
            });
        });
    }

    it("refuses a control plane two minors ahead of CNI", () => {
        const spec = happySpec();
        spec.cni!.version = "1.28.4";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "objects")), {
            message: "DaemonSet istio-system/istio-cni-node: revision 1-30: control plane 1.30.2 is 2 minors ahead of istio-cni 1.28.4 (at most 1)",
            urn: "urn:pulumi:test::istio-mesh::kubernetes:apps/v1:DaemonSet::istio-cni-node",
        });
    });

    it("does nothing without CNI", () => {
        const spec = happySpec();
        spec.cni = undefined;
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
    });
});
