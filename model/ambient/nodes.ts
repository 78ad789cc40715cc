/**
 * ztunnel node by node (pure): from an observed cluster (its nodes and ztunnel pods), which nodes still run another
 * ztunnel, which the program left cordoned, and what to do on each node, in which batches. The program decides at
 * preview time (so the preview and the plan name the nodes), the ztunnel step decides again on a fresh observation
 * before each batch: an interrupted step resumes on the next `up` without touching a node twice.
 *
 * A node is on target when its ztunnel pod was created from the DaemonSet's current template: the program stamps the
 * template with ZTUNNEL_CONFIG_ANNOTATION (a digest of ztunnel's version and values), which each pod carries. A node
 * the program cordons carries CORDONED_BY_ANNOTATION from the same patch until the same patch uncordons it: so a
 * node found cordoned with it is the program's unfinished work (never a node someone else cordoned), and the plan
 * lists it.
 */
import { createHash } from "crypto";
import { imageVersion, mergeValues, PROXY_CONTAINER, Values, ZTUNNEL_APP, ztunnelValues } from "../../istio";
import type { AmbientSpec, MeshSpec, ZtunnelSpec } from "../config/spec";
import type { KubeObject } from "../rollout/observation";

/** Pod-template (and so pod) annotation: the digest of ztunnel's version and values the pod was created from. */
export const ZTUNNEL_CONFIG_ANNOTATION = "istio-mesh.dev/ztunnel-config";
/** Node annotation set with the program's cordon and removed with its uncordon; its value names the target. */
export const CORDONED_BY_ANNOTATION = "istio-mesh.dev/cordoned-for-ztunnel";

/**
 * ztunnel's chart values and the digest its pods must carry, from the spec: the component renders these values
 * (with the digest on the pod template), the program judges each node against the digest.
 */
export function ztunnelRelease(spec: Pick<MeshSpec, "istioNamespace" | "images"> & { ambient: AmbientSpec }): { values: Values; target: string } {
    const z = spec.ambient.ztunnel;
    const values = ztunnelValues({ version: z.version, revision: z.revision, rollout: z.rollout, istioNamespace: spec.istioNamespace, images: spec.images, overrides: z.values });
    const target = ztunnelConfigDigest(z.version, values);
    return { values: mergeValues(values, { podAnnotations: { [ZTUNNEL_CONFIG_ANNOTATION]: target } }), target };
}

/** The digest a ztunnel configuration is known by: the same version and values give the same digest. */
export function ztunnelConfigDigest(version: string, values: Record<string, unknown>): string {
    return createHash("sha256").update(JSON.stringify({ version, values: sortKeys(values) })).digest("hex").slice(0, 12);
}

function sortKeys(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(sortKeys);
    }
    if (v && typeof v === "object") {
        return Object.fromEntries(Object.keys(v).sort().map(k => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
}

/** One node as the step sees it. */
export interface NodeState {
    readonly name: string;
    /** Cordoned (by anyone). */
    readonly unschedulable: boolean;
    /** Cordoned by the program (CORDONED_BY_ANNOTATION present). */
    readonly cordonedByUs: boolean;
    /** Its ztunnel pod (the newest one, when an old one is still terminating), if any. */
    readonly pod?: { name: string; config?: string; version?: string; ready: boolean; terminating: boolean };
    /** Its pod runs the target configuration and is Ready. */
    readonly onTarget: boolean;
    /** Its pod runs another configuration and is not terminating: it must be replaced. */
    readonly stale: boolean;
}

export type NodeAction = "cordon" | "drain" | "replace" | "await" | "uncordon";

export interface NodeSettings {
    readonly cordon: boolean;
    readonly drain: boolean;
    /** nodeByNode deletes each node's pod (OnDelete); rolling leaves it to the DaemonSet and only awaits it. */
    readonly replace: boolean;
}

const isReady = (pod: KubeObject) => (pod.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");

function ztunnelImageVersion(pod: KubeObject): string | undefined {
    const image = (pod.spec?.containers ?? []).find((c: { name: string }) => c.name === PROXY_CONTAINER)?.image;
    return typeof image === "string" ? imageVersion(image) : undefined;
}

/** A ztunnel pod (label app=ztunnel). */
function isZtunnelPod(pod: KubeObject): boolean {
    return pod.kind === "Pod" && pod.metadata.labels?.app === ZTUNNEL_APP;
}

/**
 * Each node with a ztunnel pod, or cordoned by the program, against `target` (the digest of the wanted configuration).
 * Nodes without either are not ztunnel's (the DaemonSet does not schedule there) and are left out.
 */
export function observeNodes(nodes: readonly KubeObject[], pods: readonly KubeObject[], target: string): NodeState[] {
    const byNode = new Map<string, KubeObject[]>();
    for (const pod of pods.filter(p => isZtunnelPod(p) && p.spec?.nodeName && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed")) {
        byNode.set(pod.spec.nodeName, [...(byNode.get(pod.spec.nodeName) ?? []), pod]);
    }
    return nodes.map((node): NodeState | undefined => {
        const name = node.metadata.name;
        const cordonedByUs = node.metadata.annotations?.[CORDONED_BY_ANNOTATION] !== undefined;
        const candidates = (byNode.get(name) ?? [])
            .sort((a, b) => Number(!!a.metadata.deletionTimestamp) - Number(!!b.metadata.deletionTimestamp));
        const pod = candidates[0];
        if (!pod && !cordonedByUs) {
            return undefined;
        }
        const podState = pod && {
            name: pod.metadata.name,
            config: pod.metadata.annotations?.[ZTUNNEL_CONFIG_ANNOTATION],
            version: ztunnelImageVersion(pod),
            ready: isReady(pod),
            terminating: !!pod.metadata.deletionTimestamp,
        };
        return {
            name, unschedulable: node.spec?.unschedulable === true, cordonedByUs,
            ...(podState ? { pod: podState } : {}),
            onTarget: !!podState && podState.config === target && podState.ready && !podState.terminating,
            stale: !!podState && podState.config !== target && !podState.terminating,
        };
    }).filter((n): n is NodeState => n !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * What the step does on one node, in order. A node on target that the program did not leave cordoned needs nothing;
 * one it left cordoned (an interrupted step) needs only its uncordon; one whose pod already has the target configuration
 * but is not Ready yet (a new install), or is being replaced, is only awaited. A node already cordoned by someone else is
 * neither cordoned nor uncordoned by the program.
 */
export function nodeActions(node: NodeState, settings: NodeSettings): NodeAction[] {
    if (node.onTarget) {
        return node.cordonedByUs ? ["uncordon"] : [];
    }
    if (!node.stale) {
        // Its pod already has the target configuration (starting), or is being replaced: only wait for it.
        return ["await", ...(node.cordonedByUs ? ["uncordon" as const] : [])];
    }
    const cordons = node.cordonedByUs || (settings.cordon && !node.unschedulable);
    return [
        ...(cordons && !node.cordonedByUs ? ["cordon" as const] : []),
        ...(settings.drain && cordons ? ["drain" as const] : []),
        ...(settings.replace && node.stale ? ["replace" as const] : []),
        "await" as const,
        ...(cordons ? ["uncordon" as const] : []),
    ];
}

/** The step's plan over the observed nodes. */
export interface NodePlan {
    /** Nodes with work, in batches of nodesAtOnce: the program's unfinished nodes first, then by name. */
    readonly batches: readonly (readonly string[])[];
    /** Each node's actions (empty: nothing to do). */
    readonly actions: Readonly<Record<string, readonly NodeAction[]>>;
    /** Nodes already on target. */
    readonly done: readonly string[];
    /** Nodes the program cordoned and has not uncordoned yet. */
    readonly cordonedByUs: readonly string[];
}

export function planNodes(nodes: readonly NodeState[], settings: NodeSettings, nodesAtOnce: number): NodePlan {
    const actions = Object.fromEntries(nodes.map(n => [n.name, nodeActions(n, settings)]));
    const todo = nodes.filter(n => actions[n.name].length > 0)
        .sort((a, b) => Number(b.cordonedByUs) - Number(a.cordonedByUs) || a.name.localeCompare(b.name)).map(n => n.name);
    const size = Math.max(1, nodesAtOnce);
    const batches: string[][] = [];
    for (let i = 0; i < todo.length; i += size) {
        batches.push(todo.slice(i, i + size));
    }
    return {
        batches, actions,
        done: nodes.filter(n => actions[n.name].length === 0).map(n => n.name),
        cordonedByUs: nodes.filter(n => n.cordonedByUs).map(n => n.name),
    };
}

/**
 * The plan's lines for ztunnel's nodes: the nodes that move with their ztunnel version before and after and what is
 * done to each, and the nodes the program left cordoned. Empty when every node runs the target.
 */
export function nodeSummary(nodes: readonly NodeState[], plan: NodePlan, z: Pick<ZtunnelSpec, "version" | "rollout" | "nodesAtOnce" | "cordon" | "drain">): string[] {
    const byName = new Map(nodes.map(n => [n.name, n]));
    const moving = plan.batches.flat();
    const how = z.rollout === "nodeByNode"
        ? `node by node, ${z.nodesAtOnce} at a time${z.cordon ? ", cordoned" : ""}${z.drain ? " and drained" : ""}` : "rolling (the DaemonSet's own update)";
    const drained = moving.filter(n => plan.actions[n].includes("drain"));
    return [
        ...(moving.length ? [`ztunnel on ${moving.length} of ${nodes.length} node(s), ${how}: ` +
            moving.map(n => `${n} ${byName.get(n)!.pod?.version ?? "(none)"} -> ${z.version}`).join(", ")] : []),
        ...(drained.length ? [`nodes to drain (PodDisruptionBudgets respected): ${drained.join(", ")}`] : []),
        ...(plan.cordonedByUs.length ? [`nodes left cordoned by an interrupted ztunnel step (finished first): ${plan.cordonedByUs.join(", ")}`] : []),
    ];
}

/** One line per node with work, for the step's request and the plan: "<node> <from version> -> <to version> <actions>". */
export function describeNodes(nodes: readonly NodeState[], plan: NodePlan, toVersion: string): string[] {
    const byName = new Map(nodes.map(n => [n.name, n]));
    return plan.batches.flatMap((batch, i) => batch.map(name => {
        const n = byName.get(name)!;
        return `batch ${i + 1}/${plan.batches.length}: node ${name}: ztunnel ${n.pod?.version ?? "(none)"} -> ${toVersion}: ${plan.actions[name].join(", ")}` +
            (n.cordonedByUs ? " (left cordoned by an interrupted step)" : "");
    }));
}
