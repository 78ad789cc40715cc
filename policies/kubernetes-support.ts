/** Istio versions against the cluster's Kubernetes version. */
import { StackValidationPolicy } from "@pulumi/policy";
import { checkKubernetesSupport } from "../istio/support";
import { ANNOTATION } from "../istio/names";
import { describe, istioInstalls } from "./mesh";
import { meshValidation, reportAt, settingsOf } from "./policy-kit";

export interface KubernetesSupportSettings {
    /** The cluster's Kubernetes version ("1.33"); overrides what the program recorded. */
    kubernetesVersion?: string;
}

export const kubernetesVersionSupported: StackValidationPolicy = {
    name: "istio-kubernetes-version-supported",
    description:
        "Every Istio version the plan runs (control planes and CNI) must support the cluster's Kubernetes version, taken " +
        `from the \`kubernetesVersion\` setting or else from the \`${ANNOTATION.kubernetesVersion}\` annotation the ` +
        "istio-mesh program records on istiod. Pick an Istio minor that supports the cluster, or upgrade the cluster " +
        "within the range of the Istio that runs now before moving Istio past it.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            kubernetesVersion: {
                type: "string",
                pattern: "^v?[0-9]+\\.[0-9]+",
                description: "The cluster's Kubernetes version, e.g. \"1.33\" (the patch is ignored).",
            },
        },
    },
    validateStack: meshValidation((mesh, args, report) => {
        const { kubernetesVersion } = settingsOf<KubernetesSupportSettings>(args, {});
        const recorded = mesh.kubernetesVersion;
        const cluster = kubernetesVersion !== undefined
            ? { version: kubernetesVersion, source: "the kubernetesVersion setting" }
            : recorded && { version: recorded.version, source: `the ${ANNOTATION.kubernetesVersion} annotation of ${describe(recorded.seenIn)}` };
        if (!cluster) {
            return args.notApplicable("no kubernetesVersion setting and no recorded Kubernetes version");
        }
        for (const install of istioInstalls(mesh)) {
            const verdict = checkKubernetesSupport(install.version, cluster.version);
            if (verdict.status === "unsupported") {
                reportAt(report, install.origin,
                    `${install.what} runs Istio ${install.version}: ${verdict.reason} (Kubernetes version from ${cluster.source}); ` +
                    `run an Istio minor that supports Kubernetes ${cluster.version}`);
            }
        }
    }),
};
