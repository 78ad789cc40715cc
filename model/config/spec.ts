/** The validated mesh spec: what the parsers produce from stack config and the components consume. */
import { GatewayApiChannel, GatewayListenerProtocol, ImageSettings, ServiceType, WaypointFor, ZtunnelRollout } from "../../istio";
import type { ConfigProblem } from "./problems";
import type { PromotionSpec } from "../promotion";
import type { RolloutSpec } from "./rollout";
import type { Placement } from "./live";
import type { HealthGateSpec } from "../gate/checks";

export interface RevisionSpec {
    /** The revision name: istiod-<name>, istio.io/rev=<name>. */
    readonly name: string;
    /** Exact Istio version. */
    readonly version: string;
    /** Chart value overrides for this revision's istiod. */
    readonly values: Record<string, unknown>;
}

export interface TagSpec {
    readonly name: string;
    /** The revision the tag points to (tags point at revisions, never at tags). */
    readonly revision: string;
}

export interface NamespaceSpec {
    readonly name: string;
    /** The revision or tag written on the namespace as istio.io/rev. */
    readonly target: string;
}

export interface GatewaySpec {
    readonly name: string;
    readonly namespace: string;
    /** The revision or tag that injects the gateway. */
    readonly target: string;
    readonly serviceType: ServiceType;
    /** With a LoadBalancer Service, whether `up` waits for its external IP. */
    readonly awaitLoadBalancer: boolean;
    readonly replicas: number;
    readonly podDisruptionBudget?: { minAvailable?: number | string; maxUnavailable?: number | string };
    readonly values: Record<string, unknown>;
}

export interface GatewayListenerSpec {
    readonly name: string;
    readonly port: number;
    readonly protocol: GatewayListenerProtocol;
    readonly hostname?: string;
    /** The TLS Secret an HTTPS or TLS listener terminates with; absent on TLS: passthrough. */
    readonly certificate?: string;
    /** Which namespaces' routes may attach. */
    readonly routesFrom: "Same" | "All";
}

/** A Gateway API `Gateway` whose Deployment and Service istiod deploys. */
export interface GatewayApiGatewaySpec {
    readonly name: string;
    readonly namespace: string;
    /** The revision or tag written on the Gateway as istio.io/rev (a tag is advised against: istio/istio#59959). */
    readonly target: string;
    readonly className: string;
    readonly serviceType: ServiceType;
    /** The Gateway's listeners; absent when the Gateway comes from `manifest`. */
    readonly listeners?: readonly GatewayListenerSpec[];
    /**
     * The user's own Gateway: the file as configured and the object read from it (with a disk to read; the program
     * always has one). The program sets istio.io/rev on it.
     */
    readonly manifest?: { readonly path: string; readonly object?: Readonly<Record<string, unknown>> };
    /** A waypoint (class istio-waypoint): the traffic it takes (istio.io/waypoint-for); its listener is Istio's HBONE one. */
    readonly waypointFor?: WaypointFor;
}

export interface GatewayApiSpec {
    /** The CRDs the program applies; absent: `unmanaged`, someone else installs them. */
    readonly crds?: { readonly version: string; readonly channel: GatewayApiChannel };
    readonly gateways: readonly GatewayApiGatewaySpec[];
}

export interface CniSpec {
    readonly version: string;
    readonly chained: boolean;
    readonly namespace: string;
    readonly values: Record<string, unknown>;
}

/** ztunnel: one DaemonSet, upgraded in place after istio-cni (istio/ambient.ts). */
export interface ZtunnelSpec {
    readonly version: string;
    /** The revision whose istiod serves ztunnel (its CA and xDS address). */
    readonly revision: string;
    readonly values: Record<string, unknown>;
    /** rolling: the DaemonSet's own update; nodeByNode: the program's step, one node (or nodesAtOnce) at a time. */
    readonly rollout: ZtunnelRollout;
    readonly nodesAtOnce: number;
    readonly cordon: boolean;
    readonly drain: boolean;
    /** kubectl durations. */
    readonly drainTimeout: string;
    readonly readyTimeout: string;
    readonly pauseBetween: string;
}

/** The ambient data plane: ztunnel, and the namespaces enrolled with istio.io/dataplane-mode=ambient. */
export interface AmbientSpec {
    /** Sorted; none of them is in MeshSpec.namespaces (a namespace runs sidecars or ambient). */
    readonly namespaces: readonly string[];
    readonly ztunnel: ZtunnelSpec;
}

export type Renderer = "helm" | "istioctl";

export interface ChartSourceSpec {
    readonly renderer: Renderer;
    /** Helm repository: oci://... or https://... */
    readonly repository: string;
    /** A local directory per version holding base/, istiod/, gateway/, cni/; `{version}` is replaced. */
    readonly localDir?: string;
    /** Path to istioctl of each version for the istioctl renderer; `{version}` is replaced. */
    readonly istioctl?: string;
}

export interface MeshSpec {
    readonly istioNamespace: string;
    readonly kubernetesVersion?: string;
    readonly images: ImageSettings;
    /** Name of the pull secret the program creates from the `registryCredentials` secret, if any. */
    readonly pullSecretName?: string;
    readonly charts: ChartSourceSpec;
    readonly revisions: readonly RevisionSpec[];
    readonly tags: readonly TagSpec[];
    readonly namespaces: readonly NamespaceSpec[];
    readonly gateways: readonly GatewaySpec[];
    /** The Gateway API: its CRDs and the Gateways istiod deploys. */
    readonly gatewayApi: GatewayApiSpec;
    readonly cni?: CniSpec;
    /** Ambient mode (ztunnel, ambient namespaces); absent when off. */
    readonly ambient?: AmbientSpec;
    /** Render mode: write manifests here instead of applying them to a cluster. */
    readonly renderDirectory?: string;
    /** How long a restart waits for each workload's rollout (kubectl duration). */
    readonly restartTimeout: string;
    /**
     * Cluster access; adoptExisting lets the provider take over objects another installer created; requestTimeout
     * (kubectl duration) bounds each read of the cluster and each API request of the kubectl steps.
     */
    readonly kubernetes: { readonly kubeconfig?: string; readonly context?: string; readonly adoptExisting: boolean; readonly requestTimeout: string };
    /** Where the mesh runs, recorded for the next run's placement check. */
    readonly placement: Placement;
    /** The stack this one is promoted from, and the soak (model/promotion.ts). */
    readonly promotion?: PromotionSpec;
    /** How workloads restart: waves, pause, auto or manual (model/config/rollout.ts). */
    readonly rollout: RolloutSpec;
    /** A deliberate teardown is prepared: the destroy lock is lifted and the retirement guards pass. */
    readonly decommission: boolean;
    /** The health gate between the changes of a step (model/gate/); absent when off. */
    readonly healthGate?: HealthGateSpec;
    /** What the config does that works but is advised against (e.g. a prerelease of Istio): the program warns of each. */
    readonly advisories: readonly ConfigProblem[];
}

/**
 * What the config checks read from the disk, handed in so that the parsers stay pure: program.ts passes the real
 * disk; without one, paths are checked as text only.
 */
export interface Disk {
    /** The project directory (where Pulumi.yaml is, and the program runs): relative paths are resolved from it. */
    readonly projectDir: string;
    /** The path with every symbolic link resolved, or undefined when nothing is there. */
    realpath(p: string): string | undefined;
    isDirectory(p: string): boolean;
    /** The text of a file, or undefined when there is none. */
    readText?(p: string): string | undefined;
}

/** What was deployed by the previous `up` of this stack, as recorded in its `meshState` output. */
export interface PreviousState {
    readonly revisions: Readonly<Record<string, { version: string; upgradedFrom?: string }>>;
    /** Where the mesh ran (model/config/live.ts); absent in states of older versions of the program. */
    readonly placement?: Placement;
    /** ztunnel and the ambient namespaces, when ambient mode ran. */
    readonly ambient?: {
        readonly ztunnel: { readonly version: string; readonly revision: string };
        readonly namespaces: readonly string[];
    };
}

/** The raw stack config, as read from Pulumi config (structured values already parsed from YAML). */
export type RawConfig = Record<string, unknown>;
