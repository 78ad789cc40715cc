/**
 * The restart decision (pure): given what the cluster runs and the revision each bound namespace must run, which
 * workloads restart, in which waves, and what is left to the operator. The program runs it at preview time (so
 * the preview names the workloads), the restart step runs it again at execution time on a fresh observation, and
 * `npm run plan` renders the program's result: one decision, one place.
 *
 * A workload restarts when its pods do not run the target (the revision in their `sidecar.istio.io/status`, the
 * version of their `istio-proxy`), unless the program already rolled it onto the target (the ROLLED_ONTO record on
 * its pod template, written by the same patch that restarts it). Pods with no sidecar at all (injector down, or a
 * namespace new to the mesh) are judged by that record alone.
 */
import { AMBIENT_TARGET, optsOutOfInjection, PodLike, podProxy, REV_LABEL, revisionWithVersion, ROLLED_ONTO_ANNOTATION, rolledOntoValue } from "../../istio";
import type { RolloutSpec } from "../config/rollout";
import { KubeObject, Observation } from "./observation";

/** Where a namespace must be: the label (revision or tag) and what it resolves to. */
export interface NamespaceTarget {
    readonly namespace: string;
    /** The istio.io/rev value (revision or tag). */
    readonly label: string;
    readonly revision: string;
    readonly version: string;
}

export type RestartableKind = "Deployment" | "StatefulSet" | "DaemonSet";
const RESTARTABLE: readonly string[] = ["Deployment", "StatefulSet", "DaemonSet"];

export interface WorkloadRef {
    readonly kind: RestartableKind;
    readonly name: string;
    /** metadata.generation when observed: names the version of the workload the decision was made on. */
    readonly generation?: number;
}

export type Verdict =
    | "restart"
    /** Its pods run the target (or it has no pods): nothing to do. */
    | "on-target"
    /** Already rolled onto the target and still rolling (an interrupted run): not restarted again. */
    | "rolling"
    /** Opts out of injection (sidecar.istio.io/inject=false). */
    | "opted-out"
    /** Would restart, but is a paused Deployment: reported and skipped. */
    | "paused"
    /** Would restart, but its updateStrategy is OnDelete: reported and skipped. */
    | "on-delete";

export interface WorkloadDecision extends WorkloadRef {
    readonly verdict: Verdict;
    /** Why, in the operator's words. */
    readonly reason: string;
    readonly replicas: number;
}

/** Pods the program does not restart (Jobs, CronJobs, bare pods, other controllers), with how to do it by hand. */
export interface ManualRestart {
    readonly namespace: string;
    /** "Job/backfill", "CronJob/report", "Pod/debug", "Rollout/web". */
    readonly owner: string;
    readonly pods: number;
    readonly command: string;
}

export interface NamespaceRollout extends NamespaceTarget {
    /** The namespace's istio.io/rev label as observed (undefined: none). */
    readonly observedLabel?: string;
    readonly workloads: readonly WorkloadDecision[];
    readonly manual: readonly ManualRestart[];
    /** Single-replica workloads that restart with no PodDisruptionBudget covering them ("Deployment/web"). */
    readonly unprotected: readonly string[];
}

export interface RolloutPlan {
    readonly namespaces: readonly NamespaceRollout[];
    /** Namespaces with workloads to restart or still rolling, in the spec's order (by name), `parallelNamespaces` per wave. */
    readonly waves: readonly (readonly string[])[];
}

const isRunning = (o: KubeObject) => !o.metadata.deletionTimestamp && o.status?.phase !== "Succeeded" && o.status?.phase !== "Failed";

function controllerOf(o: KubeObject): { kind: string; name: string } | undefined {
    const refs = o.metadata.ownerReferences ?? [];
    return refs.find(r => r.controller) ?? refs[0];
}

/** The top controller of a pod ("Deployment/web" through its ReplicaSet, "CronJob/x" through its Job), or the pod itself. */
function topOwner(pod: KubeObject, byKey: Map<string, KubeObject>): { kind: string; name: string } {
    let current: { kind: string; name: string } = { kind: "Pod", name: pod.metadata.name };
    let owner = controllerOf(pod);
    while (owner) {
        current = { kind: owner.kind, name: owner.name };
        const parent = byKey.get(`${owner.kind}/${owner.name}`);
        owner = parent && (owner.kind === "ReplicaSet" || owner.kind === "Job") ? controllerOf(parent) : undefined;
    }
    return current;
}

/** True while a workload's last template change has not rolled out (kubectl rollout status' conditions). */
export function isRolling(w: KubeObject): boolean {
    const s = w.status ?? {};
    if ((s.observedGeneration ?? 0) < (w.metadata.generation ?? 0)) {
        return true;
    }
    if (w.kind === "DaemonSet") {
        return (s.updatedNumberScheduled ?? 0) < (s.desiredNumberScheduled ?? 0) || (s.numberAvailable ?? 0) < (s.desiredNumberScheduled ?? 0);
    }
    const desired = w.spec?.replicas ?? 1;
    if (w.kind === "StatefulSet") {
        return (s.updatedReplicas ?? 0) < desired || (!!s.updateRevision && s.currentRevision !== s.updateRevision);
    }
    return (s.updatedReplicas ?? 0) < desired || (s.replicas ?? 0) > (s.updatedReplicas ?? 0) || (s.availableReplicas ?? 0) < (s.updatedReplicas ?? 0);
}

function replicasOf(w: KubeObject): number {
    return w.kind === "DaemonSet" ? (w.status?.desiredNumberScheduled ?? 0) : (w.spec?.replicas ?? 1);
}

/**
 * The target of a namespace in the ambient mesh: no revision injects it; the record its restart writes names ztunnel's
 * version only for the reader (an ambient pod does not restart for a ztunnel upgrade).
 */
export function ambientTarget(namespace: string, ztunnelVersion: string): NamespaceTarget {
    return { namespace, label: AMBIENT_TARGET, revision: AMBIENT_TARGET, version: `ztunnel-${ztunnelVersion}` };
}

/** An ambient namespace's target: its pods run without a sidecar (ztunnel carries their traffic). */
export function isAmbientTarget(target: Pick<NamespaceTarget, "revision">): boolean {
    return target.revision === AMBIENT_TARGET;
}

/**
 * A workload of an ambient namespace: it restarts when its pods still have a sidecar (moved from sidecars), never for
 * ztunnel's version (ambient pods need no restart when ztunnel is upgraded: their traffic goes through the node's ztunnel).
 */
function decideAmbientWorkload(w: KubeObject, pods: readonly PodLike[], ref: Omit<WorkloadDecision, "verdict" | "reason">): WorkloadDecision {
    const record = w.spec?.template?.metadata?.annotations?.[ROLLED_ONTO_ANNOTATION];
    const rolled = typeof record === "string" && record.startsWith(`${AMBIENT_TARGET}@`);
    if (rolled && isRolling(w)) {
        return { ...ref, verdict: "rolling", reason: "already rolling into the ambient mesh" };
    }
    const withSidecar = pods.map(podProxy).filter(p => p.injected).length;
    if (withSidecar === 0) {
        return { ...ref, verdict: "on-target", reason: pods.length === 0 ? "no running pods" : "runs in the ambient mesh (no sidecar; a ztunnel upgrade needs no restart)" };
    }
    const restart = `${withSidecar} pod(s) still have a sidecar in an ambient namespace`;
    if (w.kind === "Deployment" && w.spec?.paused) {
        return { ...ref, verdict: "paused", reason: `${restart}; paused: resume it (kubectl -n ${w.metadata.namespace} rollout resume deployment/${w.metadata.name}) and run up again` };
    }
    if ((w.kind === "StatefulSet" || w.kind === "DaemonSet") && w.spec?.updateStrategy?.type === "OnDelete") {
        return { ...ref, verdict: "on-delete", reason: `${restart}; updateStrategy OnDelete: delete its pods one at a time to move them` };
    }
    return { ...ref, verdict: "restart", reason: restart };
}

/** Decides one workload from its object and its running pods. */
export function decideWorkload(w: KubeObject, pods: readonly PodLike[], target: NamespaceTarget): WorkloadDecision {
    const ref = { kind: w.kind as RestartableKind, name: w.metadata.name, generation: w.metadata.generation, replicas: replicasOf(w) };
    if (isAmbientTarget(target)) {
        return decideAmbientWorkload(w, pods, ref);
    }
    const template: PodLike = w.spec?.template ?? {};
    const want = rolledOntoValue(target.revision, target.version);
    const record = template.metadata?.annotations?.[ROLLED_ONTO_ANNOTATION];
    if (optsOutOfInjection(template)) {
        return { ...ref, verdict: "opted-out", reason: "its pod template sets sidecar.istio.io/inject=false" };
    }
    const proxies = pods.map(podProxy);
    const injected = proxies.filter(p => p.injected);
    const otherRevision = injected.find(p => p.revision !== target.revision);
    const otherVersion = injected.find(p => p.revision === target.revision && p.version !== undefined && p.version !== target.version);
    let restart: string | undefined;
    if (record === want) {
        if (isRolling(w)) {
            return { ...ref, verdict: "rolling", reason: `already rolling onto ${revisionWithVersion(target)}` };
        }
        if (otherRevision) {
            // Rolled onto the target, finished, yet injected by another revision: the namespace was relabelled by hand.
            restart = `pods injected by ${otherRevision.revision ?? "an unknown revision"} although it was rolled onto ${target.revision}`;
        }
    } else if (pods.length > 0 && (injected.length < pods.length || otherRevision || otherVersion)) {
        const sample = otherRevision ?? otherVersion;
        restart = sample
            ? `pods run ${sample.revision ?? "an unknown revision"}${sample.version ? ` (${sample.version})` : ""}`
            : "pods without a sidecar";
    }
    if (!restart) {
        return { ...ref, verdict: "on-target", reason: pods.length === 0 ? "no running pods" : `runs ${revisionWithVersion(target)}` };
    }
    if (w.kind === "Deployment" && w.spec?.paused) {
        return { ...ref, verdict: "paused", reason: `${restart}; paused: resume it (kubectl -n ${w.metadata.namespace} rollout resume deployment/${w.metadata.name}) and run up again` };
    }
    if ((w.kind === "StatefulSet" || w.kind === "DaemonSet") && w.spec?.updateStrategy?.type === "OnDelete") {
        return { ...ref, verdict: "on-delete", reason: `${restart}; updateStrategy OnDelete: delete its pods one at a time to move them` };
    }
    return { ...ref, verdict: "restart", reason: restart };
}

function selects(selector: any, labels: Readonly<Record<string, string>>): boolean {
    if (!selector) {
        return false;
    }
    const matchLabels: Record<string, string> = selector.matchLabels ?? {};
    const exprs: any[] = selector.matchExpressions ?? [];
    if (Object.keys(matchLabels).length === 0 && exprs.length === 0) {
        return true;
    }
    return Object.entries(matchLabels).every(([k, v]) => labels[k] === v) && exprs.every(e => {
        const has = e.key in labels;
        switch (e.operator) {
            case "In": return has && (e.values ?? []).includes(labels[e.key]);
            case "NotIn": return !has || !(e.values ?? []).includes(labels[e.key]);
            case "Exists": return has;
            case "DoesNotExist": return !has;
            default: return false;
        }
    });
}

function manualCommand(namespace: string, kind: string, name: string): string {
    switch (kind) {
        case "Pod": return `kubectl -n ${namespace} delete pod ${name} (and create it again from its manifest)`;
        case "Job": return `let it finish; its next run is injected by the namespace's revision (or: kubectl -n ${namespace} get job ${name} -o yaml | kubectl replace --force -f -)`;
        case "CronJob": return `its next run is injected by the namespace's revision; to end a running one: kubectl -n ${namespace} delete job -l <its job labels>`;
        case "Rollout": return `kubectl argo rollouts restart ${name} -n ${namespace}`;
        default: return `restart it with its controller's own tool (${kind} ${name} in ${namespace})`;
    }
}

/** Decides every workload of one namespace. */
export function decideNamespace(target: NamespaceTarget, observation: Observation): NamespaceRollout {
    const objects = observation.objects.filter(o => o.metadata.namespace === target.namespace);
    const byKey = new Map(objects.map(o => [`${o.kind}/${o.metadata.name}`, o]));
    const podsByOwner = new Map<string, KubeObject[]>();
    for (const pod of objects.filter(o => o.kind === "Pod" && isRunning(o))) {
        const owner = topOwner(pod, byKey);
        const key = `${owner.kind}/${owner.name}`;
        podsByOwner.set(key, [...(podsByOwner.get(key) ?? []), pod]);
    }
    const workloads = objects.filter(o => RESTARTABLE.includes(o.kind))
        .sort((a, b) => RESTARTABLE.indexOf(a.kind) - RESTARTABLE.indexOf(b.kind) || a.metadata.name.localeCompare(b.metadata.name))
        .map(w => decideWorkload(w, podsByOwner.get(`${w.kind}/${w.metadata.name}`) ?? [], target));
    const manual: ManualRestart[] = [];
    for (const [key, pods] of [...podsByOwner].sort(([a], [b]) => a.localeCompare(b))) {
        const [kind, name] = key.split("/");
        if (RESTARTABLE.includes(kind)) {
            continue;
        }
        const off = pods.filter(p => !optsOutOfInjection(p)).map(podProxy)
            .filter(p => isAmbientTarget(target) ? p.injected
                : !p.injected || p.revision !== target.revision || (p.version !== undefined && p.version !== target.version));
        if (off.length > 0) {
            manual.push({ namespace: target.namespace, owner: key, pods: off.length, command: manualCommand(target.namespace, kind, name) });
        }
    }
    const pdbs = objects.filter(o => o.kind === "PodDisruptionBudget");
    const unprotected = workloads.filter(d => d.verdict === "restart" && d.kind !== "DaemonSet" && d.replicas === 1)
        .filter(d => {
            const labels = byKey.get(`${d.kind}/${d.name}`)?.spec?.template?.metadata?.labels ?? {};
            return !pdbs.some(p => selects(p.spec?.selector, labels));
        })
        .map(d => `${d.kind}/${d.name}`);
    const observedLabel = observation.namespaceLabels[target.namespace];
    return { ...target, ...(observedLabel !== undefined ? { observedLabel } : {}), workloads, manual, unprotected };
}

/**
 * The rollout of all bound namespaces (in the spec's order, by name): decisions, and the waves of namespaces with
 * restarts or with a rollout an interrupted `up` left running: the step awaits those before the next wave, so an
 * `up` that follows an interrupted one ends only when every moved workload has rolled out.
 */
export function planRollout(targets: readonly NamespaceTarget[], observation: Observation, settings: Pick<RolloutSpec, "parallelNamespaces">): RolloutPlan {
    // Each namespace is decided on its own objects: scanning every object per namespace is quadratic (10 s at 10,000 namespaces).
    const byNamespace = new Map<string, KubeObject[]>();
    for (const o of observation.objects) {
        const ns = o.metadata.namespace ?? "";
        const objects = byNamespace.get(ns);
        if (objects) {
            objects.push(o);
        } else {
            byNamespace.set(ns, [o]);
        }
    }
    const namespaces = targets.map(t => decideNamespace(t, { ...observation, objects: byNamespace.get(t.namespace) ?? [] }));
    const moving = namespaces.filter(n => n.workloads.some(w => w.verdict === "restart" || w.verdict === "rolling")).map(n => n.namespace);
    const waves: string[][] = [];
    for (let i = 0; i < moving.length; i += Math.max(1, settings.parallelNamespaces)) {
        waves.push(moving.slice(i, i + Math.max(1, settings.parallelNamespaces)));
    }
    return { namespaces, waves };
}

/** The workloads a namespace's rollout restarts. */
export function restarts(ns: NamespaceRollout): WorkloadDecision[] {
    return ns.workloads.filter(w => w.verdict === "restart");
}
