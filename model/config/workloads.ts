/** Namespaces and gateways: what they bind to, and the values that would harm a running mesh. */
import { isDnsLabel, isServiceName, ServiceType } from "../../istio";
import { DEFAULTS } from "./defaults";
import { Collector } from "./problems";
import { GatewaySpec, NamespaceSpec, RevisionSpec, TagSpec } from "./spec";

/** Namespaces that are never application namespaces. */
const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"];

/** What a namespace or gateway may point at, and what this config retires. */
export interface Targets {
    readonly revisions: readonly RevisionSpec[];
    readonly tags: readonly TagSpec[];
    readonly retired: readonly string[];
}

export function targetProblem(c: Collector, key: string, target: unknown, t: Targets, what: string): boolean {
    const valid = [...t.revisions.map(r => r.name), ...t.tags.map(x => x.name)];
    if (typeof target === "string" && valid.includes(target)) {
        return false;
    }
    if (typeof target === "string" && c.broken.has(target)) {
        return true;
    }
    if (typeof target === "string" && t.retired.includes(target)) {
        c.add(key, target, `${what} still uses revision "${target}", which this config retires`,
            `move it to one of ${valid.join(", ")} first (and let it restart), then retire "${target}" in a later step`);
        return true;
    }
    c.add(key, target, `is not a revision or tag of this stack`,
        `use one of: ${valid.join(", ") || "(none)"}, or add revision "${target}" to istio-mesh:revisions`);
    return true;
}

export function parseNamespaces(c: Collector, raw: Record<string, unknown>, istioNamespace: string, t: Targets): NamespaceSpec[] {
    const namespaces: NamespaceSpec[] = [];
    for (const [name, target] of Object.entries(raw)) {
        const key = `namespaces.${name}`;
        if (name === istioNamespace || SYSTEM_NAMESPACES.includes(name)) {
            c.add(key, target, `"${name}" is ${name === istioNamespace ? "the istio namespace" : "a system namespace"}, not an application namespace`,
                `remove it from istio-mesh:namespaces`);
            continue;
        }
        if (!isDnsLabel(name)) {
            c.add(key, target, `"${name}" is not a valid namespace name`, "use the namespace's exact name");
            continue;
        }
        if (targetProblem(c, key, target, t, `namespace ${name}`)) {
            continue;
        }
        namespaces.push({ name, target: target as string });
    }
    // By name: the engine hands the program a map's keys sorted whatever order the stack file lists them in, so
    // sorting here makes the waves, the plan and a run under mocks follow the order a real run follows.
    return namespaces.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

type Pdb = GatewaySpec["podDisruptionBudget"];

function parsePdb(c: Collector, key: string, raw: Pdb, replicas: number): Pdb {
    if (raw === undefined || Object.keys(raw).length === 0) {
        return undefined;
    }
    if ((raw.minAvailable === undefined) === (raw.maxUnavailable === undefined)) {
        c.add(key, raw, "must set exactly one of minAvailable and maxUnavailable", "e.g. podDisruptionBudget: {minAvailable: 1}");
        return undefined;
    }
    if (replicas < 2) {
        c.add(key, raw, `a PodDisruptionBudget with ${replicas} replica blocks every node drain (the chart renders none)`,
            "set replicas to 2 or more, or remove podDisruptionBudget");
        return undefined;
    }
    // A budget that never allows an eviction blocks every node drain (and so every cluster upgrade). Kubernetes
    // rounds percentages up, for both fields.
    const pods = (v: number | string) => typeof v === "string" ? Math.ceil(Number(v.slice(0, -1)) * replicas / 100) : v;
    if (raw.minAvailable !== undefined) {
        if (pods(raw.minAvailable) >= replicas) {
            c.add(`${key}.minAvailable`, raw.minAvailable, `keeps all ${replicas} replicas up, so no pod can ever be evicted and every node drain blocks`,
                `set minAvailable below replicas (e.g. ${replicas - 1}), or raise replicas`);
            return undefined;
        }
        return { minAvailable: raw.minAvailable };
    }
    if (pods(raw.maxUnavailable!) === 0) {
        c.add(`${key}.maxUnavailable`, raw.maxUnavailable, `lets no pod of ${replicas} be unavailable, so every node drain blocks`,
            "set maxUnavailable: 1");
        return undefined;
    }
    return { maxUnavailable: raw.maxUnavailable };
}

export function parseGateways(c: Collector, raw: unknown[], istioNamespace: string, t: Targets): GatewaySpec[] {
    const gateways: GatewaySpec[] = [];
    const seen = new Map<string, number>();
    raw.forEach((entry, i) => {
        const key = `gateways[${i}]`;
        const e = entry as Record<string, unknown>;
        const name = e.name as string;
        if (!isServiceName(name)) {
            c.add(`${key}.name`, name, "must be a valid Service name (lowercase letters, digits and '-', a letter first, at most 63)",
                `e.g. name: istio-ingressgateway`);
            return;
        }
        const namespace = (e.namespace as string | undefined) ?? istioNamespace;
        if (!isDnsLabel(namespace)) {
            c.add(`${key}.namespace`, namespace, "must be a valid namespace name", `e.g. namespace: istio-ingress`);
            return;
        }
        const id = `${namespace}/${name}`;
        if (seen.has(id)) {
            c.add(`${key}.name`, name, `gateways[${seen.get(id)}] already is gateway ${id}`,
                "give each gateway in a namespace its own name");
            return;
        }
        seen.set(id, i);
        if (targetProblem(c, `${key}.revision`, e.revision, t, `gateway ${id}`)) {
            return;
        }
        const replicas = (e.replicas as number | undefined) ?? DEFAULTS.gatewayReplicas;
        if (replicas < 1) {
            c.add(`${key}.replicas`, replicas, "must be a whole number of at least 1", "e.g. replicas: 2");
            return;
        }
        const pdb = parsePdb(c, `${key}.podDisruptionBudget`, e.podDisruptionBudget as Pdb, replicas);
        const serviceType = ((e.serviceType as string | undefined) ?? DEFAULTS.gatewayServiceType) as ServiceType;
        if (e.awaitLoadBalancer !== undefined && serviceType !== "LoadBalancer") {
            c.add(`${key}.awaitLoadBalancer`, e.awaitLoadBalancer, `only applies to serviceType LoadBalancer (this gateway's is ${serviceType})`,
                "remove awaitLoadBalancer, or set serviceType: LoadBalancer");
            return;
        }
        gateways.push({
            name, namespace, target: e.revision as string, serviceType, awaitLoadBalancer: (e.awaitLoadBalancer as boolean | undefined) ?? true,
            replicas, podDisruptionBudget: pdb, values: (e.values ?? {}) as Record<string, unknown>,
        });
    });
    return gateways;
}
