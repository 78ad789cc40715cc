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
    /** Each observed namespace's metadata.resourceVersion: names one state of its labels. */
    readonly namespaceVersions?: Readonly<Record<string, string>>;
    /** Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs, Pods and PodDisruptionBudgets. */
    readonly objects: readonly KubeObject[];
}

/** The kinds an observation lists (one `kubectl get` of them). */
export const OBSERVED_KINDS = "deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,pods,poddisruptionbudgets";
