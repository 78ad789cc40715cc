/**
 * An in-memory cluster for the ztunnel step's tests: nodes, ztunnel pods created by a DaemonSet controller (a deleted
 * pod is replaced on its node from the current template, Ready after `readyAfterPolls` looks), and application pods
 * that a drain evicts unless a PodDisruptionBudget holds them. Every write is recorded in order.
 */
import { CORDONED_BY_ANNOTATION, ZTUNNEL_CONFIG_ANNOTATION } from "../../model/ambient/nodes";
import type { KubeObject } from "../../model/rollout";
import type { ZtunnelCluster } from "../../components/ztunnelStep";

export interface FakeNode {
    name: string;
    unschedulable?: boolean;
    cordonedByUs?: string;
    /** The configuration digest and version of its ztunnel pod; undefined: none. */
    ztunnel?: { config: string; version: string; ready?: boolean };
    /** Application pods on it; `pinned`: a PodDisruptionBudget refuses their eviction. */
    apps?: { name: string; pinned?: boolean }[];
}

export function ztunnelPod(node: string, config: string, version: string, ready = true, n = 0): KubeObject {
    return {
        kind: "Pod",
        metadata: { name: `ztunnel-${node}-${n}`, namespace: "istio-system", labels: { app: "ztunnel" }, annotations: { [ZTUNNEL_CONFIG_ANNOTATION]: config } },
        spec: { nodeName: node, containers: [{ name: "istio-proxy", image: `registry.example.com/istio/ztunnel:${version}` }] },
        status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
    };
}

export function nodeObject(n: FakeNode): KubeObject {
    return {
        kind: "Node",
        metadata: { name: n.name, ...(n.cordonedByUs ? { annotations: { [CORDONED_BY_ANNOTATION]: n.cordonedByUs } } : {}) },
        spec: n.unschedulable ? { unschedulable: true } : {},
    };
}

export class FakeZtunnelCluster implements ZtunnelCluster {
    readonly writes: string[] = [];
    private pods: KubeObject[];
    private serial = 1;
    private pending = new Map<string, number>();

    constructor(readonly fakeNodes: FakeNode[], readonly template: { config: string; version: string }, readonly readyAfterPolls = 1,
                /** Nodes whose new pod never becomes Ready. */ readonly broken: readonly string[] = []) {
        this.pods = fakeNodes.filter(n => n.ztunnel).map(n => ztunnelPod(n.name, n.ztunnel!.config, n.ztunnel!.version, n.ztunnel!.ready ?? true));
    }

    daemonSet(): KubeObject {
        // The controller has seen the template; it schedules to every node that had a ztunnel.
        return { kind: "DaemonSet", metadata: { name: "ztunnel", generation: 2 }, status: { observedGeneration: 2, desiredNumberScheduled: this.fakeNodes.filter(n => n.ztunnel).length } };
    }

    nodes(): KubeObject[] {
        return this.fakeNodes.map(nodeObject);
    }

    ztunnelPods(): KubeObject[] {
        // Each look moves pending pods towards Ready, as the kubelet would.
        for (const [name, left] of this.pending) {
            if (left <= 1) {
                this.pending.delete(name);
                const pod = this.pods.find(p => p.metadata.name === name)!;
                if (!this.broken.includes(pod.spec.nodeName)) {
                    pod.status.conditions = [{ type: "Ready", status: "True" }];
                }
            } else {
                this.pending.set(name, left - 1);
            }
        }
        return this.pods.map(p => JSON.parse(JSON.stringify(p)));
    }

    private node(name: string): FakeNode {
        return this.fakeNodes.find(n => n.name === name)!;
    }

    cordon(node: string, target: string): void {
        this.writes.push(`cordon ${node}`);
        Object.assign(this.node(node), { unschedulable: true, cordonedByUs: target });
    }

    uncordon(node: string): void {
        this.writes.push(`uncordon ${node}`);
        Object.assign(this.node(node), { unschedulable: false, cordonedByUs: undefined });
    }

    drain(node: string, timeout: string): { ok: true } | { ok: false; pods: string[]; detail: string } {
        this.writes.push(`drain ${node}`);
        const n = this.node(node);
        const pinned = (n.apps ?? []).filter(a => a.pinned);
        n.apps = pinned;
        return pinned.length === 0 ? { ok: true }
            : { ok: false, pods: pinned.map(a => `shop/${a.name}`), detail: `error: unable to drain node "${node}" (timeout ${timeout}): Cannot evict pod as it would violate the pod's disruption budget.` };
    }

    deletePod(name: string): void {
        this.writes.push(`delete ${name}`);
        const old = this.pods.find(p => p.metadata.name === name)!;
        this.pods = this.pods.filter(p => p !== old);
        // The DaemonSet controller: a new pod from the current template on the same node, not Ready yet.
        const fresh = ztunnelPod(old.spec.nodeName, this.template.config, this.template.version, false, this.serial++);
        this.pods.push(fresh);
        this.pending.set(fresh.metadata.name, this.readyAfterPolls);
    }
}
