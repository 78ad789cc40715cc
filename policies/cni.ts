/** istio-cni against the control planes. */
import { StackValidationPolicy } from "@pulumi/policy";
import { checkNodeAgentSkew } from "../istio/ambient";
import { checkCniSkew, compareVersions } from "../istio/versions";
import { versionedRevisions } from "./mesh";
import { meshValidation, reportAt } from "./policy-kit";

export const cniControlPlaneSkew: StackValidationPolicy = {
    name: "istio-cni-control-plane-skew",
    description:
        "istio-cni is one DaemonSet upgraded in place (it cannot be canaried), and it works with control planes of its " +
        "own minor and the next one. Keep every revision at the CNI's minor or one above: upgrade istiod first, then CNI, " +
        "and retire revisions that are more than one minor ahead of the CNI's minor before upgrading it. In ambient mode istio-cni " +
        "follows ztunnel's control plane (Istio's ambient order: istiod, istio-cni, ztunnel, then the old istiod goes): it is judged " +
        "against that revision and may be newer than revisions being retired.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, _args, report) => {
        const revisions = versionedRevisions(mesh);
        // In ambient mode istio-cni serves ztunnel and moves with it, before the old revisions retire (Istio's ambient order):
        // it is judged against ztunnel's control plane, and may be newer than the revisions on their way out.
        const ambient = mesh.ztunnel.map(z => z.revision).find(r => r !== undefined && mesh.revisions.get(r)?.version);
        for (const cni of mesh.cni) {
            if (!cni.version) {
                continue;
            }
            for (const revision of revisions) {
                const verdict = ambient === revision.name
                    ? checkNodeAgentSkew("istio-cni", cni.version, { revision: revision.name, version: revision.version })
                    : ambient && compareVersions(cni.version, revision.version) > 0 ? { ok: true as const } : checkCniSkew(cni.version, revision.version);
                if (!verdict.ok) {
                    reportAt(report, cni.seenIn[0], `revision ${revision.name}: ${verdict.reason}`);
                }
            }
        }
    }),
};
