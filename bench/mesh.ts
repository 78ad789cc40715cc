/**
 * Synthetic meshes for benchmarks: N application namespaces over three revisions (a canary in progress plus a
 * patch canary: CNI must stay within one minor of every control plane), tags and gateways.
 */
import { RawConfig } from "../model/config";

export function benchMeshConfig(namespaces: number): RawConfig {
    const targets = ["1-29", "1-30", "1-30-3", "default", "canary"];
    const ns: Record<string, string> = {};
    for (let i = 0; i < namespaces; i++) {
        ns[`app-${String(i).padStart(5, "0")}`] = targets[i % targets.length];
    }
    return {
        kubernetesVersion: "1.33",
        registry: { hub: "registry.example.com/istio", imagePullSecrets: ["istio-pull"] },
        revisions: [{ version: "1.29.3" }, { version: "1.30.2" }, { name: "1-30-3", version: "1.30.3" }],
        tags: { default: "1-29", canary: "1-30", stable: "1-29" },
        namespaces: ns,
        gateways: [
            { name: "ingress", namespace: "istio-ingress", revision: "stable", replicas: 3, podDisruptionBudget: { minAvailable: 2 } },
            { name: "ingress-canary", namespace: "istio-ingress", revision: "canary", serviceType: "ClusterIP", replicas: 1 },
            { name: "eastwest", namespace: "istio-system", revision: "stable", serviceType: "NodePort", replicas: 2, podDisruptionBudget: { maxUnavailable: 1 } },
            { name: "egress", namespace: "istio-egress", revision: "default", serviceType: "ClusterIP", replicas: 2 },
        ],
        cni: { enabled: true, version: "1.29.3" },
    };
}
