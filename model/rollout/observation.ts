/** What the program and the restart step read from the cluster: the bound namespaces' labels and their objects. */

/** The subset of a Kubernetes object read here (from `kubectl get -o json`). */
export interface KubeObject {
    readonly kind: string;
    readonly metadata: {
        readonly name: string;
        readonly namespace?: string;
        readonly generation?: number;
        readonly resourceVersion?: string;
        readonly labels?: Readonly<Record<string, string>>;
        readonly annotations?: Readonly<Record<string, string>>;
        readonly ownerReferences?: readonly { readonly kind: string; readonly name: string; readonly controller?: boolean }[];
        readonly deletionTimestamp?: string;
    };
    readonly spec?: any;
    readonly status?: any;
}

/** What the restart decision reads: the bound namespaces' labels and the objects in them. */
export interface Observation {
    /** The istio.io/rev label of each namespace observed (undefined: unlabelled). Absent key: namespace not observed. */
    readonly namespaceLabels: Readonly<Record<string, string | undefined>>;
    /** The legacy istio-injection label of each observed namespace that carries one. */
    readonly namespaceInjection?: Readonly<Record<string, string>>;
    /** The istio.io/dataplane-mode label of each observed namespace that carries one (ambient mode). */
    readonly namespaceModes?: Readonly<Record<string, string>>;
    /** Each observed namespace's metadata.resourceVersion: names one state of its labels. */
    readonly namespaceVersions?: Readonly<Record<string, string>>;
    /** Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods and PodDisruptionBudgets. */
    readonly objects: readonly KubeObject[];
    /** The cluster's nodes and ztunnel's pods: read only in ambient mode (model/ambient/nodes.ts). */
    readonly ztunnel?: { readonly nodes: readonly KubeObject[]; readonly pods: readonly KubeObject[] };
    /** Every namespace and pod of the cluster: read only when the step retires a revision (model/retirement.ts). */
    readonly cluster?: ClusterPods;
}

/** Every namespace and every pod of the cluster, as the program read them. */
export interface ClusterPods {
    readonly namespaces: readonly KubeObject[];
    readonly pods: readonly KubeObject[];
}

/**
 * The kinds an observation lists, each with the API path of its list (`api`: core or group/version; every
 * Kubernetes version the product supports serves these versions) and its resource name.
 */
export const OBSERVED_RESOURCES: readonly { readonly kind: string; readonly api: string; readonly resource: string }[] = [
    { kind: "Deployment", api: "apis/apps/v1", resource: "deployments" },
    { kind: "StatefulSet", api: "apis/apps/v1", resource: "statefulsets" },
    { kind: "DaemonSet", api: "apis/apps/v1", resource: "daemonsets" },
    { kind: "ReplicaSet", api: "apis/apps/v1", resource: "replicasets" },
    { kind: "Job", api: "apis/batch/v1", resource: "jobs" },
    { kind: "CronJob", api: "apis/batch/v1", resource: "cronjobs" },
    { kind: "Pod", api: "api/v1", resource: "pods" },
    { kind: "PodDisruptionBudget", api: "apis/policy/v1", resource: "poddisruptionbudgets" },
];

/** The kinds an observation lists, as one `kubectl get` names them. */
export const OBSERVED_KINDS = OBSERVED_RESOURCES.map(r => r.resource).join(",");
