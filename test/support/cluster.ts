/**
 * Builders of Kubernetes objects as `kubectl get -o json` returns them, for the restart decision's tests and the
 * stub kubectl: workloads with their pods, injected (as Istio's injector leaves them) or not.
 */
import { KubeObject } from "../../model/rollout";

export interface PodSpec {
    /** The revision that injected it; undefined: no sidecar. */
    revision?: string;
    version?: string;
}

/** A pod as the injector leaves it (native sidecar, status annotation, no istio.io/rev label), or uninjected. */
export function pod(namespace: string, name: string, owner: { kind: string; name: string } | undefined, p: PodSpec = {}, labels: Record<string, string> = {}): KubeObject {
    const proxy = p.revision ? [{ name: "istio-proxy", image: `registry.example.com/istio/proxyv2:${p.version ?? "1.30.2"}` }] : [];
    return {
        kind: "Pod",
        metadata: {
            name, namespace, labels,
            ...(p.revision ? { annotations: { "sidecar.istio.io/status": JSON.stringify({ initContainers: ["istio-proxy"], revision: p.revision }) } } : {}),
            ...(owner ? { ownerReferences: [{ ...owner, controller: true }] } : {}),
        },
        spec: { initContainers: proxy, containers: [{ name: "app", image: "registry.example.com/app:1" }] },
        status: { phase: "Running" },
    };
}

export interface WorkloadSpec {
    kind?: "Deployment" | "StatefulSet" | "DaemonSet";
    replicas?: number;
    /** The ROLLED_ONTO record on its template. */
    record?: string;
    paused?: boolean;
    onDelete?: boolean;
    /** Pods (one per replica unless given). */
    pods?: PodSpec[];
    /** Mid-rollout (status behind the spec). */
    rolling?: boolean;
    generation?: number;
    templateLabels?: Record<string, string>;
    templateAnnotations?: Record<string, string>;
}

/** A workload and its pods (Deployments through a ReplicaSet, as the controllers make them). */
export function workload(namespace: string, name: string, w: WorkloadSpec = {}): KubeObject[] {
    const kind = w.kind ?? "Deployment";
    const replicas = w.replicas ?? 1;
    const generation = w.generation ?? 1;
    const annotations = { ...(w.record ? { "istio-mesh.dev/rolled-onto": w.record } : {}), ...(w.templateAnnotations ?? {}) };
    const done = w.rolling ? 0 : replicas;
    const status = kind === "DaemonSet"
        ? { observedGeneration: generation, desiredNumberScheduled: replicas, updatedNumberScheduled: done, numberAvailable: replicas }
        : { observedGeneration: generation, replicas, updatedReplicas: done, availableReplicas: replicas, readyReplicas: replicas };
    const object: KubeObject = {
        kind,
        metadata: { name, namespace, generation },
        spec: {
            ...(kind === "DaemonSet" ? {} : { replicas }),
            ...(w.paused ? { paused: true } : {}),
            ...(w.onDelete ? { updateStrategy: { type: "OnDelete" } } : {}),
            selector: { matchLabels: { app: name } },
            template: { metadata: { labels: { app: name, ...(w.templateLabels ?? {}) }, annotations }, spec: { containers: [{ name: "app", image: "app:1" }] } },
        },
        status,
    };
    const specs = w.pods ?? Array.from({ length: replicas }, () => ({}));
    const rs: KubeObject | undefined = kind === "Deployment"
        ? { kind: "ReplicaSet", metadata: { name: `${name}-rs`, namespace, ownerReferences: [{ kind, name, controller: true }] } }
        : undefined;
    const owner = rs ? { kind: "ReplicaSet", name: rs.metadata.name } : { kind, name };
    return [object, ...(rs ? [rs] : []), ...specs.map((p, i) => pod(namespace, `${name}-${i}`, owner, p, { app: name }))];
}
