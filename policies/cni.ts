/** istio-cni against the control planes. */
import { StackValidationPolicy } from "@pulumi/policy";
import { checkCniSkew } from "../istio/versions";
import { versionedRevisions } from "./mesh";
import { meshValidation, reportAt } from "./policy-kit";

export const cniControlPlaneSkew: StackValidationPolicy = {
    name: "istio-cni-control-plane-skew",
    description:
        "istio-cni is one DaemonSet upgraded in place (it cannot be canaried), and it works with control planes of its " +
        "own minor and the next one. Keep every revision at the CNI's minor or one above: upgrade istiod first, then CNI, " +
        "and retire revisions that are more than one minor ahead of the CNI's minor before upgrading it.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, _args, report) => {
        const revisions = versionedRevisions(mesh);
        for (const cni of mesh.cni) {
            if (!cni.version) {
                continue;
            }
            for (const revision of revisions) {
                const verdict = checkCniSkew(cni.version, revision.version);
                if (!verdict.ok) {
                    reportAt(report, cni.seenIn[0], `revision ${revision.name}: ${verdict.reason}`);
                }
            }
        }
    }),
};
