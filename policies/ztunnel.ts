/** ztunnel (ambient mode) against the control plane that serves it. */
import { StackValidationPolicy } from "@pulumi/policy";
import { checkNodeAgentSkew } from "../istio/ambient";
import { meshValidation, reportAt } from "./policy-kit";

export const ztunnelControlPlaneSkew: StackValidationPolicy = {
    name: "istio-ztunnel-control-plane-skew",
    description:
        "ztunnel is one DaemonSet upgraded in place (no revision canary), served by one revision's istiod (its chart's `revision`). " +
        "A control plane at 1.x serves ztunnel at 1.x and 1.x-1 (istio.io, ambient upgrade docs): ztunnel is never newer than its " +
        "control plane and at most one minor behind it. Upgrade istiod first (a new revision), then istio-cni, then ztunnel, one minor at a time.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, _args, report) => {
        for (const z of mesh.ztunnel) {
            if (!z.version) {
                continue;
            }
            const revision = z.revision ? mesh.revisions.get(z.revision) : undefined;
            if (!revision) {
                if (!mesh.incomplete) {
                    reportAt(report, z.seenIn[0], `ztunnel is served by revision ${z.revision ?? "(none: the unrevisioned istiod)"}, which this plan does not install: ` +
                        `set the ztunnel chart's revision to an installed revision`);
                }
                continue;
            }
            if (!revision.version) {
                continue;
            }
            const verdict = checkNodeAgentSkew("ztunnel", z.version, { revision: revision.name, version: revision.version });
            if (!verdict.ok) {
                reportAt(report, z.seenIn[0], verdict.reason);
            }
        }
    }),
};
