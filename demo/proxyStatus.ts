/**
 * What `istioctl proxy-status` would show for the local cluster's workloads, read from their pods (the local
 * cluster's pods run no proxy that could connect to istiod): per workload, the revision that injected each pod
 * (its `sidecar.istio.io/status`) and the version of its `istio-proxy` image, through istio/injection.ts, the
 * same reading the program's restart decision uses.
 */
import { PodLike, podProxy } from "../istio";

/** A workload and its running pods. */
export interface WorkloadPods {
    readonly namespace: string;
    /** "deployment/web". */
    readonly workload: string;
    readonly pods: readonly PodLike[];
}

/** The revision a workload's pods must be injected by, and that revision's Istio version. */
export interface ProxyTarget {
    readonly revision: string;
    readonly version: string;
}

/** One line per pod, as proxy-status lists proxies: "shop/deployment/web  web-5c7-x2  1-31  1.31.0". */
export function proxyStatusLines(workloads: readonly WorkloadPods[]): string[] {
    return workloads.flatMap(w => w.pods.map(pod => {
        const p = podProxy(pod);
        return [`${w.namespace}/${w.workload}`, pod.metadata?.name ?? "?", p.injected ? p.revision ?? "(unknown revision)" : "(no sidecar)", p.version ?? "-"].join("  ");
    }));
}

/**
 * Every pod that does not run its namespace's target, one message each naming the workload, the pod, the revision
 * that injected it (with its proxy version) and the expected one; a workload with no running pod is reported too.
 * Empty when every workload of `workloads` runs `targetOf(namespace)` (namespaces it returns undefined for are not checked).
 */
export function injectionMismatches(workloads: readonly WorkloadPods[], targetOf: (namespace: string) => ProxyTarget | undefined): string[] {
    const problems: string[] = [];
    for (const w of workloads) {
        const target = targetOf(w.namespace);
        if (!target) {
            continue;
        }
        const name = `${w.namespace}/${w.workload}`;
        const expected = `revision ${target.revision} (proxy ${target.version})`;
        if (w.pods.length === 0) {
            problems.push(`${name}: no running pod, expected pods injected by ${expected}`);
        }
        for (const pod of w.pods) {
            const p = podProxy(pod);
            const podName = pod.metadata?.name ?? "?";
            if (!p.injected) {
                problems.push(`${name}: pod ${podName} has no sidecar, expected one injected by ${expected}`);
            } else if (p.revision !== target.revision || p.version !== target.version) {
                problems.push(`${name}: pod ${podName} was injected by revision ${p.revision ?? "(none named)"} ` +
                    `(proxy ${p.version ?? "unknown"}), expected ${expected}`);
            }
        }
    }
    return problems;
}
