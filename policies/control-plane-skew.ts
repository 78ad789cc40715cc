/** Versions of the control planes: between coexisting revisions, and across an in-place upgrade of one revision. */
import { StackValidationPolicy } from "@pulumi/policy";
import { checkCanarySpan, checkInPlaceChange, parseVersion } from "../istio/versions";
import { ANNOTATION } from "../istio/names";
import { versionedRevisions } from "./mesh";
import { meshValidation, reportAt } from "./policy-kit";

export const controlPlaneSkew: StackValidationPolicy = {
    name: "istio-control-plane-skew",
    description:
        "Control planes that run at the same time (canary revisions) may span at most two minor versions. To go further, " +
        "install an intermediate revision, move namespaces, gateways and tags to it, retire the oldest, then continue.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, _args, report) => {
        const revisions = versionedRevisions(mesh);
        const verdict = checkCanarySpan(revisions.map(r => r.version));
        if (!verdict.ok) {
            const oldest = revisions[0];
            const newest = revisions[revisions.length - 1];
            reportAt(report, newest.seenIn[0],
                `revision ${newest.name} (${newest.version}) would run beside revision ${oldest.name} (${oldest.version}): ${verdict.reason}`);
        }
    }),
};

export const inPlaceUpgradeSkew: StackValidationPolicy = {
    name: "istio-in-place-upgrade-skew",
    description:
        "An in-place upgrade (same revision, new version) moves at most one minor version and never downgrades across " +
        `minors. What ran before is read from the \`${ANNOTATION.upgradedFrom}\` annotation on the istiod Deployment (or ` +
        "`deploymentAnnotations` in the istiod chart's values), which the istio-mesh program records. For a bigger step, " +
        "install the new version as a canary revision and migrate to it instead.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, _args, report) => {
        for (const revision of versionedRevisions(mesh)) {
            if (!revision.upgradedFrom || !parseVersion(revision.upgradedFrom)) {
                continue;
            }
            const verdict = checkInPlaceChange(revision.upgradedFrom, revision.version);
            if (!verdict.ok) {
                reportAt(report, revision.seenIn[0], `revision ${revision.name}: ${verdict.reason}`);
            }
        }
    }),
};
