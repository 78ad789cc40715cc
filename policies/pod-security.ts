/** istiod and gateway pods run as non-root, unprivileged; only the istio-cni node agent needs privileges. */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { istioWorkloadOf } from "./mesh";
import { reportAt } from "./policy-kit";
import { contentsOf, valueAt } from "./resources";

type SecurityContext = Record<string, unknown>;

/** What in a securityContext grants root or privileges; a container-level context can also escalate. */
function findings(context: unknown, level: "pod" | "container"): string[] {
    if (!context || typeof context !== "object") {
        return [];
    }
    const c = context as SecurityContext;
    const out: string[] = [];
    if (c.runAsNonRoot === false) {
        out.push("runAsNonRoot: false");
    }
    if (c.runAsUser === 0) {
        out.push("runAsUser: 0");
    }
    if (level === "container" && c.privileged === true) {
        out.push("privileged: true");
    }
    if (level === "container" && c.allowPrivilegeEscalation === true) {
        out.push("allowPrivilegeEscalation: true");
    }
    return out;
}

const FIX = "remove it: the charts already run istiod and gateways as non-root (uid 1337) without privileges, " +
    "and only the istio-cni DaemonSet may be privileged";

export const podsNonRootUnprivileged: ResourceValidationPolicy = {
    name: "istio-pods-non-root-unprivileged",
    description:
        "istiod and gateway pods run as non-root and unprivileged: no `runAsNonRoot: false`, `runAsUser: 0`, " +
        "`privileged: true` or `allowPrivilegeEscalation: true` in their pod or container securityContext, nor in the " +
        "chart values that set them (gateway `securityContext`/`containerSecurityContext`, istiod `global.proxy.privileged`). " +
        "Only the istio-cni DaemonSet may be privileged. Drop the override and keep the charts' defaults.",
    enforcementLevel: "mandatory",
    validateResource: (args, report) => {
        const { charts, objects } = contentsOf(args);
        for (const release of charts) {
            if (release.chart === "gateway") {
                const problems = [
                    ...findings(release.values.securityContext, "pod").map(f => `securityContext sets ${f}`),
                    ...findings(release.values.containerSecurityContext, "container").map(f => `containerSecurityContext sets ${f}`),
                ];
                for (const problem of problems) {
                    reportAt(report, release.origin, `value ${problem}; ${FIX}`);
                }
            }
            if (release.chart === "istiod" && valueAt(release.values, "global.proxy.privileged") === true) {
                reportAt(report, release.origin,
                    `value global.proxy.privileged: true makes every proxy this revision injects (sidecars and gateways) privileged; ${FIX}`);
            }
        }
        for (const object of objects) {
            const workload = istioWorkloadOf(object);
            if (workload?.role !== "istiod" && workload?.role !== "gateway") {
                continue;
            }
            const problems = [
                ...findings(workload.pod.spec.securityContext, "pod").map(f => `pod securityContext sets ${f}`),
                ...workload.containers.flatMap(c => findings(c.securityContext, "container").map(f => `container ${c.name} sets ${f}`)),
            ];
            for (const problem of problems) {
                reportAt(report, object.origin, `${workload.role} ${problem}; ${FIX}`);
            }
        }
    },
};
