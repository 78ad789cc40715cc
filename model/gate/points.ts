/**
 * Where the health gate stops a step, and what each gate watches (pure): after a control plane is added or upgraded
 * in place (before anything moves to it), after a tag moves, after a gateway moves, and after each restart wave. The
 * request each gate step gets is text the preview shows.
 */
import { revisionWithVersion } from "../../istio";
import { Check, CheckTemplate, checkTemplates, GateScopes, HealthGateSpec, resolveChecks } from "./checks";

/** How a gate asks Prometheus and how long it watches, as the config says. */
export type GateSettings = Pick<HealthGateSpec, "url" | "caFile" | "bake" | "bakeMs" | "window" | "onNoData">;

/** What one gate step is handed: where it is, what to watch and how. */
export interface GateRequest extends GateSettings {
    /** "control plane 1-31 (1.31.0)", "tag canary -> 1-31", "gateway istio-ingress/ingress -> 1-31", "wave 1/2 (shop)". */
    readonly point: string;
    /** The config to revert to roll the change back, for the failure message. */
    readonly rollback: string;
    readonly checks: readonly Check[];
}

/** The wave gate the restart step runs after each wave: the checks as templates, resolved per wave. */
export interface WaveGate extends GateSettings {
    readonly templates: readonly CheckTemplate[];
}

const settings = (gate: HealthGateSpec): GateSettings => ({
    url: gate.url, ...(gate.caFile ? { caFile: gate.caFile } : {}), bake: gate.bake, bakeMs: gate.bakeMs, window: gate.window, onNoData: gate.onNoData,
});

export function gateRequest(gate: HealthGateSpec, point: string, rollback: string, scopes: GateScopes): GateRequest {
    return { point, rollback, ...settings(gate), checks: resolveChecks(checkTemplates(gate), scopes, gate.window) };
}

export function waveGate(gate: HealthGateSpec): WaveGate {
    return { ...settings(gate), templates: checkTemplates(gate) };
}

/** The checks of one wave: its namespaces, and the istiods of the revisions they move to (injection failures show there). */
export function waveChecks(gate: WaveGate, targets: readonly { namespace: string; revision: string }[]): Check[] {
    const scopes: GateScopes = { revisions: [...new Set(targets.map(t => t.revision))].sort(), namespaces: targets, gateways: [] };
    return resolveChecks(gate.templates, scopes, gate.window);
}

/**
 * A request as the step's input: JSON with one check per line, so the preview's diff of the step reads as a list of
 * checks (what is watched, where, with which threshold).
 */
export function formatGateRequest(req: GateRequest | WaveGate): string {
    const list = "checks" in req ? "checks" : "templates";
    const { [list]: items, ...rest } = req as unknown as Record<string, unknown[]>;
    const head = JSON.stringify(rest, undefined, 1).replace(/\n}$/, "");
    return `${head},\n "${list}": [\n${items.map(c => `  ${JSON.stringify(c)}`).join(",\n")}\n ]\n}`;
}

/** Parses formatGateRequest's text (the step's stdin or environment). */
export function parseGateRequest<T extends GateRequest | WaveGate>(text: string): T {
    const doc = JSON.parse(text);
    if (typeof doc?.url !== "string" || !(Array.isArray(doc.checks) || Array.isArray(doc.templates))) {
        throw new Error("malformed health gate request: expected the JSON the program writes ({url, bake, window, checks or templates, ...})");
    }
    return doc as T;
}

/** One gate point of a step, for the upgrade plan: where, and each check it runs. */
export interface GatePoint {
    readonly point: string;
    readonly checks: readonly Omit<Check, "description">[];
}

/** The step's gates in the `upgradePlan` output (and so in `npm run plan`). */
export interface GatePlan {
    readonly url: string;
    readonly caFile?: string;
    readonly bake: string;
    readonly window: string;
    readonly onNoData: "fail" | "skip";
    readonly points: readonly GatePoint[];
}

/** What a step changes that the gate watches (a part of the upgrade plan and its rollout). */
export interface GatedChanges {
    readonly revisionsAdded: readonly { name: string; version: string }[];
    readonly revisionsUpgradedInPlace: readonly { name: string; to: string }[];
    readonly tagsMoved: readonly { tag: string; to?: string }[];
    readonly gatewaysMoving: readonly { name: string; to?: { revision: string; version: string } }[];
    /** Gateway API gateways that move (namespace/name), each with the Deployment istiod names after it. */
    readonly gatewayApiMoving?: readonly { name: string; deployment: string; to?: { revision: string; version: string } }[];
    /** Namespaces per restart wave, each with the revision it moves to. */
    readonly waves: readonly (readonly { namespace: string; revision: string }[])[];
    /** Namespaces per tag (what a tag move touches). */
    readonly namespacesOfTag: Readonly<Record<string, readonly string[]>>;
}

/** The control-plane gate of a revision (request and rollback). */
export function controlPlaneGate(gate: HealthGateSpec, revision: string, version: string): GateRequest {
    return gateRequest(gate, `control plane ${revisionWithVersion({ revision, version })}`, `istio-mesh:revisions (revision ${revision})`,
        { revisions: [revision], namespaces: [], gateways: [] });
}

export function tagGate(gate: HealthGateSpec, tag: string, revision: string, namespaces: readonly string[]): GateRequest {
    return gateRequest(gate, `tag ${tag} -> ${revision}`, `istio-mesh:tags.${tag}`,
        { revisions: [revision], namespaces: namespaces.map(namespace => ({ namespace, revision })), gateways: [] });
}

/** `gateway` as namespace/name. */
export function gatewayGate(gate: HealthGateSpec, gateway: string, revision: string, version: string): GateRequest {
    const [namespace, name] = gateway.split("/");
    return gateRequest(gate, `gateway ${gateway} -> ${revisionWithVersion({ revision, version })}`, `the gateway's revision in istio-mesh:gateways (${gateway})`,
        { revisions: [revision], namespaces: [], gateways: [{ name, namespace, revision }] });
}

/**
 * The gate of a Gateway API gateway (`gateway` as namespace/name) after istiod re-deployed it: its Deployment's
 * traffic (`deployment`, the workload its metrics name) and its revision's istiods.
 */
export function gatewayApiGate(gate: HealthGateSpec, gateway: string, deployment: string, revision: string, version: string): GateRequest {
    const [namespace] = gateway.split("/");
    return gateRequest(gate, `Gateway API gateway ${gateway} -> ${revisionWithVersion({ revision, version })}`,
        `the gateway's revision in istio-mesh:gatewayApi.gateways (${gateway})`,
        { revisions: [revision], namespaces: [], gateways: [{ name: deployment, namespace, revision }] });
}

/** Every gate of a step, in the order `up` passes them. */
export function planGates(gate: HealthGateSpec, changes: GatedChanges): GatePlan {
    const short = (r: GateRequest): GatePoint => ({ point: r.point, checks: r.checks.map(({ description: _d, ...c }) => c) });
    const points: GatePoint[] = [
        ...changes.revisionsAdded.map(r => controlPlaneGate(gate, r.name, r.version)),
        ...changes.revisionsUpgradedInPlace.map(r => controlPlaneGate(gate, r.name, r.to)),
        ...changes.tagsMoved.filter(t => t.to).map(t => tagGate(gate, t.tag, t.to!, changes.namespacesOfTag[t.tag] ?? [])),
        ...changes.gatewaysMoving.filter(g => g.to).map(g => gatewayGate(gate, g.name, g.to!.revision, g.to!.version)),
        ...(changes.gatewayApiMoving ?? []).filter(g => g.to).map(g => gatewayApiGate(gate, g.name, g.deployment, g.to!.revision, g.to!.version)),
    ].map(short);
    const wave = waveGate(gate);
    changes.waves.forEach((targets, i) => points.push({
        point: `wave ${i + 1}/${changes.waves.length} (${targets.map(t => t.namespace).join(", ")})`,
        checks: short({ ...wave, point: "", rollback: "", checks: waveChecks(wave, targets) }).checks,
    }));
    return { url: gate.url, ...(gate.caFile ? { caFile: gate.caFile } : {}), bake: gate.bake, window: gate.window, onNoData: gate.onNoData, points };
}

/** The gates as lines of the step's summary (the preview's diagnostic): one per gate point. */
export function gateSummary(plan: GatePlan): string[] {
    if (plan.points.length === 0) {
        return [];
    }
    const skip = plan.onNoData === "skip" ? "; WARNING: onNoData is skip: a check Prometheus cannot answer is SKIPPED, not failed" : "";
    return [`health gate (Prometheus ${plan.url}, bake ${plan.bake}, window ${plan.window}${skip}):`,
        ...plan.points.map(p => `  after ${p.point}: ${p.checks.length} check${p.checks.length === 1 ? "" : "s"} (${[...new Set(p.checks.map(c => c.name))].join(", ")})`)];
}
