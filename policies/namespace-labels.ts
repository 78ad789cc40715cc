/** Namespace injection labels. */
import { StackValidationPolicy } from "@pulumi/policy";
import { DEFAULT_TAG, INJECTION_LABEL, REV_LABEL } from "../istio/names";
import { meshValidation, reportAt } from "./policy-kit";

export const namespaceSingleInjectionLabel: StackValidationPolicy = {
    name: "istio-namespace-single-injection-label",
    description:
        `A namespace carries either \`${REV_LABEL}\` or \`${INJECTION_LABEL}\`, never both: the legacy label silently ` +
        `wins, so the namespace is not injected by the revision it names. Remove \`${INJECTION_LABEL}\` and keep ` +
        `\`${REV_LABEL}\` (or label \`${REV_LABEL}=${DEFAULT_TAG}\` to follow the default tag).`,
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, _args, report) => {
        // Labels are merged over Namespace and NamespacePatch resources: a patch can add the second label. A namespace
        // the program's legacy-label step holds loses the legacy one after its patch.
        for (const ns of mesh.namespaces.values()) {
            const rev = ns.labels[REV_LABEL];
            const injection = ns.labels[INJECTION_LABEL];
            if (rev === undefined || injection === undefined || mesh.legacyInjectionRemoved.has(ns.name)) {
                continue;
            }
            const effect = injection === "enabled"
                ? `its pods are injected by whatever holds the ${DEFAULT_TAG} tag, not by ${rev}`
                : `its pods are not injected at all`;
            reportAt(report, ns.seenIn[ns.seenIn.length - 1],
                `namespace ${ns.name} has both ${INJECTION_LABEL}=${injection} and ${REV_LABEL}=${rev}; ${effect}. ` +
                `Remove ${INJECTION_LABEL} and keep ${REV_LABEL}=${rev}`);
        }
    }),
};
