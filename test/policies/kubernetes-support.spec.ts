import * as assert from "assert";
import { kubernetesVersionSupported as policy } from "../../policies/kubernetes-support";
import { happySpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

describe("istio-kubernetes-version-supported", () => {
    it("has a kubernetesVersion setting", () => {
        assert.strictEqual(policy.configSchema!.properties.kubernetesVersion.type, "string");
    });

    for (const view of VIEWS) {
        it(`accepts the happy mesh on the recorded Kubernetes 1.33 (${view})`, () =>
            assertNoStackViolations(policy, stackArgs(renderMesh(happySpec(), view))));

        it(`refuses Istio 1.29 on a recorded Kubernetes 1.36 (${view})`, () => {
            const spec = happySpec();
            spec.kubernetesVersion = "1.36";
            return assertHasStackViolation(policy, stackArgs(renderMesh(spec, view)), {
                message: /revision 1-29 runs Istio 1.29.3: Istio 1.29 supports Kubernetes 1.31-1.35, not 1.36 \(Kubernetes version from the istio-mesh.dev\/kubernetes-version annotation of .*\); run an Istio minor that supports Kubernetes 1.36/,
            });
        });
    }

    it("refuses control planes and CNI on the configured Kubernetes version", async () => {
        const args = stackArgs(renderMesh(happySpec(), "objects"), { kubernetesVersion: "v1.30.4" });
        await assertHasStackViolation(policy, args, { message: /revision 1-30 runs Istio 1.30.2: Istio 1.30 supports Kubernetes 1.32-1.36, not 1.30 \(Kubernetes version from the kubernetesVersion setting\)/ });
        await assertHasStackViolation(policy, args, { message: /^DaemonSet istio-system\/istio-cni-node: istio-cni runs Istio 1.29.3: Istio 1.29 supports Kubernetes 1.31-1.35, not 1.30/ });
    });

    it("takes the setting over the recorded version", () => {
        const spec = happySpec();
        spec.kubernetesVersion = "1.36";
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec), { kubernetesVersion: "1.33" }));
    });

    it("does nothing when the Kubernetes version is neither configured nor recorded", () => {
        const spec = happySpec();
        spec.kubernetesVersion = undefined;
        spec.revisions[0].version = "1.24.6";
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
    });

    it("leaves Istio versions unknown to the support table to istio-version-not-end-of-life", () => {
        const spec = happySpec();
        spec.revisions.push({ name: "1-40", version: "1.40.0" });
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
    });
});
