/**
 * Which pods of the cluster still use a revision this step retires (pure). Judged when the program runs, from a read
 * of every namespace and pod, so a refused retirement fails `pulumi preview`, `npm run plan` and `pulumi up` before
 * anything is applied. The retirement guards (components/kubectl.ts RETIREMENT_GUARD_SCRIPT) are the second line.
 */
import { gatewayPod, podProxy, revisionWithVersion, webhookTarget } from "../istio";
import { CONFIG_NAMESPACE, ConfigProblem, MeshSpec } from "./config";
import { MeshState } from "./facts";
import { ClusterPods } from "./rollout";

/** A pod that keeps a retiring revision in use, and how. */
export interface RevisionUse {
    /** namespace/name */
    readonly pod: string;
    readonly revision: string;
    readonly how: string;
}

/** The revisions the previous `up` ran that this config no longer has. */
export function retiringRevisions(previous: MeshState | undefined, spec: Pick<MeshSpec, "revisions">): string[] {
    return Object.keys(previous?.revisions ?? {}).filter(name => !spec.revisions.some(r => r.name === name)).sort();
}

/**
 * Resolves a label value (a revision or a tag) to the revision that will serve it after this step: this config's
 * tags, then the tags the previous `up` had and this config drops (their webhooks still stand until this step
 * removes them), else the value itself (a revision name).
 */
export function targetResolver(spec: Pick<MeshSpec, "tags">, previous: MeshState | undefined): (target: string) => string {
    const tags = new Map<string, string>(Object.entries(previous?.tags ?? {}));
    spec.tags.forEach(t => tags.set(t.name, t.revision));
    return target => tags.get(target) ?? target;
}

/** Pods that finished never block: they run nothing and are never re-created. */
const FINISHED_PHASES = new Set(["Succeeded", "Failed"]);

/**
 * The pods that use one of `retiring`: not finished (Running, Pending or Unknown), and injected by it (the
 * `sidecar.istio.io/status` annotation) or, re-created, would be (their labels and their namespace's, as Istio's
 * webhook selectors judge them, a tag resolved by `resolve`). istiod's own pods are the revision, not its users.
 */
export function revisionUses(retiring: readonly string[], resolve: (target: string) => string, cluster: ClusterPods): RevisionUse[] {
    const retired = new Set(retiring);
    const namespaceLabels = new Map(cluster.namespaces.map(ns => [ns.metadata.name, ns.metadata.labels]));
    const uses: RevisionUse[] = [];
    for (const pod of cluster.pods) {
        if (FINISHED_PHASES.has(pod.status?.phase) || pod.metadata.labels?.app === "istiod") {
            continue;
        }
        const name = `${pod.metadata.namespace}/${pod.metadata.name}`;
        // A Gateway's pod is istiod's own render, not an injection: the revision that deployed it is in its annotation.
        const gateway = gatewayPod(pod);
        if (gateway) {
            if (retired.has(gateway.revision)) {
                uses.push({ pod: name, revision: gateway.revision, how: `gateway ${pod.metadata.namespace}/${gateway.gateway}, deployed by ${gateway.revision}` });
            }
            continue;
        }
        const injected = podProxy(pod).revision;
        if (injected && retired.has(injected)) {
            uses.push({ pod: name, revision: injected, how: `injected by ${injected}` });
            continue;
        }
        const target = webhookTarget(namespaceLabels.get(pod.metadata.namespace ?? ""), pod.metadata.labels);
        const revision = target === undefined ? undefined : resolve(target);
        if (revision && retired.has(revision)) {
            uses.push({ pod: name, revision, how: `re-created, would be injected by ${revision}${target === revision ? "" : ` through tag ${target}`}` });
        }
    }
    return uses.sort((a, b) => a.revision.localeCompare(b.revision) || a.pod.localeCompare(b.pod));
}

/** How many pods of each revision a refusal names; the count says how many more there are. */
const PODS_NAMED = 5;

/**
 * The refusal of a step that retires revisions still in use, naming the first pods of each, their count and the fix;
 * undefined when none is in use.
 */
export function retirementProblem(uses: readonly RevisionUse[], previous: MeshState): ConfigProblem | undefined {
    if (uses.length === 0) {
        return undefined;
    }
    const revisions = [...new Set(uses.map(u => u.revision))];
    const each = revisions.map(revision => {
        const of = uses.filter(u => u.revision === revision);
        const named = of.slice(0, PODS_NAMED).map(u => `${u.pod} (${u.how})`).join(", ");
        const more = of.length > PODS_NAMED ? ` and ${of.length - PODS_NAMED} more` : "";
        return `revision ${revisionWithVersion({ revision, version: previous.revisions[revision].version })} leaves the config, ` +
            `but ${of.length} running or pending pod${of.length === 1 ? "" : "s"} use${of.length === 1 ? "s" : ""} it: ${named}${more}`;
    });
    return {
        key: `${CONFIG_NAMESPACE}:revisions`,
        value: revisions,
        message: `${each.join("; ")}. Nothing was applied`,
        fix: `keep ${revisions.join(", ")} in istio-mesh:revisions for this step; move the namespaces (istio-mesh:namespaces) and gateways ` +
            `(istio-mesh:gateways, istio-mesh:gatewayApi.gateways) that use it to another revision and let them restart with 'pulumi up'; relabel or delete the pods this ` +
            "stack does not manage (`kubectl get pods -A -o wide` and their namespaces' istio.io/rev and istio-injection labels); " +
            "then retire it in a later step",
    };
}
