import { cniControlPlaneSkew } from "../../policies/cni";
import { podsNonRootUnprivileged } from "../../policies/pod-security";
import { ztunnelControlPlaneSkew as policy } from "../../policies/ztunnel";
import { ambientSpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoResourceViolations, assertNoStackViolations, resourceArgs, stackArgs } from "./util";

describe("istio-ztunnel-control-plane-skew", () => {
    for (const view of VIEWS.filter(v => v !== "istioctl")) {
        it(`accepts ztunnel 1.30 served by 1-30 while 1-29 is still there (${view})`, () =>
            assertNoStackViolations(policy, stackArgs(renderMesh(ambientSpec(), view))));

        it(`refuses ztunnel two minors behind its control plane (${view})`, () => {
            const spec = ambientSpec();
            spec.ztunnel!.version = "1.28.4";
            return assertHasStackViolation(policy, stackArgs(renderMesh(spec, view)), {
                message: /ztunnel 1\.28\.4 is 2 minors behind its control plane 1-30 \(1\.30\.2\) \(at most 1\)/,
            });
        });
    }

    it("refuses ztunnel newer than the control plane that serves it", () => {
        const spec = ambientSpec();
        spec.ztunnel = { version: "1.30.2", revision: "1-29" };
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "objects")), {
            message: "DaemonSet istio-system/ztunnel: ztunnel 1.30.2 is newer than its control plane 1-29 (1.29.3): upgrade istiod first (a new revision), then ztunnel",
            urn: "urn:pulumi:test::istio-mesh::kubernetes:apps/v1:DaemonSet::ztunnel",
        });
    });

    it("refuses ztunnel served by a revision the plan does not install", () => {
        const spec = ambientSpec();
        spec.ztunnel!.revision = "1-31";
        return assertHasStackViolation(policy, stackArgs(renderMesh(spec, "charts")), { message: /served by revision 1-31, which this plan does not install/ });
    });

    it("istio-cni in ambient mode follows ztunnel's control plane: 1.30 beside a 1-29 on its way out is accepted", () =>
        assertNoStackViolations(cniControlPlaneSkew, stackArgs(renderMesh(ambientSpec(), "objects"))));

    it("istio-cni in ambient mode is still refused two minors behind ztunnel's control plane", () => {
        const spec = ambientSpec();
        spec.cni!.version = "1.28.4";
        return assertHasStackViolation(cniControlPlaneSkew, stackArgs(renderMesh(spec, "objects")), { message: /revision 1-30: istio-cni 1\.28\.4 is 2 minors behind/ });
    });

    it("ztunnel's privileges are its own (NET_ADMIN, root): not judged as a gateway's", async () => {
        for (const r of renderMesh(ambientSpec(), "objects").filter(x => x.name === "ztunnel")) {
            await assertNoResourceViolations(podsNonRootUnprivileged, resourceArgs(r));
        }
    });
});
