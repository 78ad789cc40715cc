/**
 * Istio's ambient data plane: ztunnel (one node proxy per node), istio-cni in its ambient setting, waypoints, and the
 * namespace label that enrols a namespace. Plain data and pure functions shared by the config checks, the program,
 * the node-by-node step and the policy pack.
 *
 * Sources:
 * - istio.io, "Upgrade with Helm" for ambient (docs/ambient/upgrade/helm): the order base (CRDs) -> istiod -> istio-cni
 *   -> ztunnel -> tags (which move waypoints and Istio-deployed gateways) -> manually deployed gateways -> the old
 *   istiod removed; ztunnel and istio-cni are upgraded in place (no revision canary); restarting ztunnel interrupts the
 *   connections of the node's pods, so Istio advises cordon and drain per node for zero downtime.
 * - istio.io, supported releases: a control plane at 1.x works with ztunnel and istio-cni at 1.x and 1.x-1.
 * - the charts (istio/istio manifests/charts): ztunnel's DaemonSet `ztunnel` (labels app=ztunnel, container
 *   istio-proxy, image `ztunnel`), its `revision` value (ztunnel's CA and xDS address `istiod-<revision>`), its
 *   `updateStrategy`; the cni chart's `ambient.enabled` (top level from 1.24); the ambient profile's
 *   `pilot.env.PILOT_ENABLE_AMBIENT` and `ISTIO_META_ENABLE_HBONE` (manifests/helm-profiles/ambient.yaml).
 * - shared/istio-facts.md (Ambient mode).
 */
import { globalValues, hasLayout, ImageSettings, mergeValues, Values } from "./charts";
import { DEFAULT_ISTIO_NAMESPACE, revisionWithVersion } from "./names";
import { compareVersions, minorDistance, minorOf, SkewVerdict } from "./versions";

/** The label enrolling a namespace (or pod) in the ambient mesh: `istio.io/dataplane-mode=ambient`, no restart needed. */
export const DATAPLANE_MODE_LABEL = "istio.io/dataplane-mode";
export const AMBIENT_MODE = "ambient";
/**
 * The word for ambient where a revision or tag would be written (the restart request, the rollout record): a revision
 * or tag may not be named so.
 */
export const AMBIENT_TARGET = "ambient";

/** Gateway API class istiod deploys waypoints for; `istio.io/waypoint-for` says what traffic it takes. */
export const WAYPOINT_CLASS = "istio-waypoint";
export const WAYPOINT_FOR_LABEL = "istio.io/waypoint-for";
export const WAYPOINT_FOR = ["service", "workload", "all", "none"] as const;
export type WaypointFor = typeof WAYPOINT_FOR[number];
/** A waypoint's one listener: HBONE on 15008 (istio/istio pilot/pkg/config/kube/gateway/testdata/waypoint.yaml, `istioctl waypoint generate`). */
export const WAYPOINT_LISTENER = { name: "mesh", port: 15008, protocol: "HBONE" } as const;
/** The label on a namespace (or service account, service, pod) naming the waypoint its traffic goes through. */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";

/** ztunnel's DaemonSet (its chart is CHART.ztunnel), its pods' app label and its image name. */
export const ZTUNNEL_DAEMONSET = "ztunnel";
export const ZTUNNEL_APP = "ztunnel";
export const ZTUNNEL_IMAGE = "ztunnel";

/** How ztunnel's DaemonSet moves to a new version: by its own rolling update, or node by node by the program's step. */
export type ZtunnelRollout = "rolling" | "nodeByNode";

/** Node agents of the ambient data plane: upgraded in place, one per node. */
export type NodeAgent = "ztunnel" | "istio-cni";

/** A control plane at 1.x serves ztunnel and istio-cni at 1.x and 1.x-1 (never newer). */
export const NODE_AGENT_SKEW = { controlPlaneAhead: 1 } as const;

/**
 * A node agent at `agentVersion` against the control plane it is served by (ztunnel's `revision`): not newer, and at
 * most NODE_AGENT_SKEW.controlPlaneAhead minors behind.
 */
export function checkNodeAgentSkew(agent: NodeAgent, agentVersion: string, controlPlane: { revision: string; version: string }): SkewVerdict {
    const ahead = minorDistance(agentVersion, controlPlane.version);
    if (compareVersions(agentVersion, controlPlane.version) > 0) {
        return {
            ok: false,
            reason: `${agent} ${agentVersion} is newer than its control plane ${revisionWithVersion(controlPlane)}: ` +
                `upgrade istiod first (a new revision), then ${agent}`,
        };
    }
    if (ahead > NODE_AGENT_SKEW.controlPlaneAhead) {
        return {
            ok: false,
            reason: `${agent} ${agentVersion} is ${ahead} minors behind its control plane ${revisionWithVersion(controlPlane)} ` +
                `(at most ${NODE_AGENT_SKEW.controlPlaneAhead}): upgrade ${agent} to ${minorOf(controlPlane.version)} or ` +
                `${minorOf(agentVersion) === minorOf(controlPlane.version) ? "" : "the minor below it "}first, one minor at a time`,
        };
    }
    return { ok: true };
}

/** istiod values that turn ambient on for a revision (the ambient profile's, without its image variant). */
export function ambientIstiodValues(): Values {
    return {
        pilot: { env: { PILOT_ENABLE_AMBIENT: "true" } },
        // Sidecars of this revision speak HBONE to ambient pods and waypoints.
        meshConfig: { defaultConfig: { proxyMetadata: { ISTIO_META_ENABLE_HBONE: "true" } } },
    };
}

/** cni chart values for ambient redirection (under `cni:` before 1.24, the oldest this program renders anyway). */
export function ambientCniValues(version: string): Values {
    const own = { ambient: { enabled: true } };
    return hasLayout(version, "cniValuesTopLevel") ? own : { cni: own };
}

export interface ZtunnelValuesArgs {
    version: string;
    /** The revision whose istiod ztunnel gets its certificates and config from (`istiod-<revision>`). */
    revision: string;
    rollout: ZtunnelRollout;
    istioNamespace?: string;
    images?: ImageSettings;
    overrides?: Values;
}

/**
 * Values of the ztunnel chart. With `nodeByNode` the DaemonSet's updateStrategy is OnDelete: a template change
 * replaces no pod until the program's step deletes it, one node at a time. Merged after the overrides: the step
 * relies on it.
 */
export function ztunnelValues(args: ZtunnelValuesArgs): Values {
    const values: Values = {
        revision: args.revision,
        // The chart flattens `global` onto its own top-level values (zzz_profile.yaml): hub, tag, istioNamespace, pull secrets.
        global: globalValues(args.images ?? {}, args.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE, args.version),
    };
    // With OnDelete the Kubernetes provider would wait for every pod to be replaced (its DaemonSet await, pulumi-kubernetes
    // provider/pkg/await/daemonset.go), which only the step does: skipAwait on the DaemonSet (the chart's `annotations`).
    const strategy = args.rollout === "nodeByNode"
        ? { updateStrategy: { type: "OnDelete" }, annotations: { [SKIP_AWAIT_ANNOTATION]: "true" } }
        : {};
    return mergeValues(mergeValues(values, args.overrides), strategy);
}

/** The Kubernetes provider's annotation that applies an object without waiting for it to be ready. */
export const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";
