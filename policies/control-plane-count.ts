/** How many control planes run at once. */
import { StackValidationPolicy } from "@pulumi/policy";
import { revisionsOldestFirst, versionedRevisions } from "./mesh";
import { meshValidation, reportAt, settingsOf } from "./policy-kit";

export interface ControlPlaneCountSettings {
    maxControlPlanes: number;
}

export const DEFAULT_MAX_CONTROL_PLANES = 3;

export const maxControlPlanes: StackValidationPolicy = {
    name: "istio-max-control-planes",
    description:
        "Run at most `maxControlPlanes` istiod revisions at once (default 3): each one is a full control plane, and " +
        "forgotten canaries keep stale webhooks and tags around. Retire the oldest revision (after moving its " +
        "namespaces, gateways and tags) before adding another.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            maxControlPlanes: { type: "integer", minimum: 1, default: DEFAULT_MAX_CONTROL_PLANES },
        },
    },
    validateStack: meshValidation((mesh, args, report) => {
        const { maxControlPlanes: max } = settingsOf<ControlPlaneCountSettings>(args, { maxControlPlanes: DEFAULT_MAX_CONTROL_PLANES });
        if (mesh.revisions.size <= max) {
            return;
        }
        const revisions = revisionsOldestFirst(mesh);
        const newest = versionedRevisions(mesh).pop() ?? revisions[revisions.length - 1];
        reportAt(report, newest.seenIn[0],
            `the plan runs ${mesh.revisions.size} control planes (${revisions.map(r => r.name).join(", ")}), at most ${max}; ` +
            `retire revision ${revisions[0].name} (the oldest) first`);
    }),
};
