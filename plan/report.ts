/**
 * Engine events of a `pulumi preview` -> an upgrade-step report (pure). The command in plan/cli.ts runs
 * the preview and gathers what this needs; everything here is tested on recorded event streams.
 */
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { checkNodeAgentSkew, checkProxySkew } from "../istio";
import { DECOMMISSION_LOCK, TYPE } from "../components/types";
import { Binding, MeshState, UpgradePlan } from "../model/facts";
import type { GateValues } from "./gate";

/** The order `up` carries the phases out in (the dependency order IstioMesh wires). */
export const PHASES = ["CRDs", "control planes", "CNI", "ztunnel", "tags", "gateways", "namespaces", "retirements", "other"] as const;
export type Phase = typeof PHASES[number];

const NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch";

const PHASE_OF_COMPONENT: Record<string, Phase> = {
    [TYPE.base]: "CRDs",
    [TYPE.revision]: "control planes",
    [TYPE.cni]: "CNI",
    [TYPE.ztunnel]: "ztunnel",
    [TYPE.tags]: "tags",
    [TYPE.gateway]: "gateways",
    [TYPE.gatewayApiCrds]: "CRDs",
    [TYPE.gatewayApiGateway]: "gateways",
};

export interface Change {
    readonly op: OpType;
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** Top-level properties that differ (updates and replaces). */
    readonly diffs?: readonly string[];
}

export interface SkewRow {
    /** "namespace shop" or "gateway istio-ingress/ingress". */
    readonly proxies: string;
    readonly before?: { revision: string; version: string };
    readonly after?: { revision: string; version: string };
    /** True when, after this step, the proxies' version is supported by the control plane serving them. */
    readonly ok: boolean;
    readonly reason?: string;
}

export interface NamespaceMove {
    readonly namespace: string;
    /** Undefined for a namespace whose binding does not change but whose pods do not run it (see `restart`). */
    readonly from?: Binding;
    readonly to: Binding;
    /** Whether any of its workloads restarts (the program's decision from what its pods run). */
    readonly restart: boolean;
    /** Deployments, StatefulSets and DaemonSets that restart; null when nothing was observed (render mode). */
    readonly workloads: number | null;
}

export interface PolicyResult {
    readonly policy: string;
    readonly pack: string;
    readonly level: "mandatory" | "warning";
    readonly message: string;
    readonly resource?: string;
    /** The policy's description: what to do instead. */
    readonly advice?: string;
}

export interface PlanReport {
    readonly stack: string;
    /** False when the preview failed or a mandatory policy objects. */
    readonly safe: boolean;
    /** Why it is not safe. */
    readonly reasons: readonly string[];
    readonly phases: readonly { phase: Phase; changes: readonly Change[] }[];
    /** The program's upgradePlan output; undefined when the preview failed before the program finished. */
    readonly upgrade?: UpgradePlan;
    /** Namespaces whose binding changes or whose workloads restart. */
    readonly namespaces: readonly NamespaceMove[];
    /** Whether the restarts were decided from the cluster (false in render mode). */
    readonly workloadsCounted: boolean;
    readonly skew: readonly SkewRow[];
    readonly policies: readonly PolicyResult[];
    readonly counts: Readonly<Record<string, number>>;
    readonly errors: readonly string[];
    /** The step's health gates with each check's value now (plan/gate.ts), when the gate is on and the step has any. */
    readonly healthGate?: GateValues;
}

export interface ReportContext {
    stack: string;
    /** The meshState output before this step (the stack's current outputs); undefined for a new stack. */
    previous?: MeshState;
    /** Workloads per namespace, counted from the cluster; undefined when it was not reachable. */
    /** Policy descriptions by name, for the advice column. */
    advice?: Readonly<Record<string, string>>;
    /** Set when the preview itself failed. */
    previewError?: string;
}

/** The component types in a URN's type chain, e.g. [IstioMesh, IstioRevision, Chart]. */
function typeChain(urn: string): string[] {
    const parts = urn.split("::");
    return parts.length >= 4 ? parts[2].split("$") : [];
}

function nameOf(urn: string): string {
    const parts = urn.split("::");
    return parts[parts.length - 1];
}

function phaseOf(change: Change): Phase {
    const chain = typeChain(change.urn);
    if (change.name === DECOMMISSION_LOCK) {
        return "other";
    }
    if ((change.type === "command:local:Command" || change.type === NAMESPACE_PATCH) && chain.length === 2 && chain[0] === TYPE.mesh) {
        // The namespace bindings and the mesh-wide namespace steps: the preflight and the workload restarts.
        return "namespaces";
    }
    const component = chain.map(t => PHASE_OF_COMPONENT[t]).find(p => p !== undefined);
    if (component === "control planes" && (change.op === "delete" || change.op === "delete-replaced")) {
        return "retirements";
    }
    return component ?? "other";
}

const COUNTED_OPS: readonly OpType[] = ["create", "update", "delete", "replace", "same"];

function skewRows(previous: MeshState | undefined, now: MeshState | undefined): SkewRow[] {
    const rows: SkewRow[] = [];
    const groups: [string, Record<string, Binding> | undefined, Record<string, Binding> | undefined][] = [
        ["namespace", previous?.namespaces, now?.namespaces],
        ["gateway", previous?.gateways, now?.gateways],
        ["Gateway API gateway", previous?.gatewayApi?.gateways, now?.gatewayApi?.gateways],
    ];
    for (const [kind, before, after] of groups) {
        const names = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
        for (const name of names) {
            const b = before?.[name];
            const a = after?.[name];
            const servedBy = a ? now?.revisions[a.revision]?.version : undefined;
            const verdict = a && servedBy ? checkProxySkew(a.version, servedBy) : { ok: true as const };
            rows.push({
                proxies: `${kind} ${name}`,
                before: b && { revision: b.revision, version: b.version },
                after: a && { revision: a.revision, version: a.version },
                ok: verdict.ok,
                ...(verdict.ok ? {} : { reason: verdict.reason }),
            });
        }
    }
    // ztunnel (ambient mode): one DaemonSet, against the revision that serves it.
    const [zb, za] = [previous?.ambient?.ztunnel, now?.ambient?.ztunnel];
    if (zb || za) {
        const servedBy = za ? now?.revisions[za.revision]?.version : undefined;
        const verdict = za && servedBy ? checkNodeAgentSkew("ztunnel", za.version, { revision: za.revision, version: servedBy }) : { ok: true as const };
        rows.push({
            proxies: "ztunnel (every node)",
            before: zb && { revision: zb.revision, version: zb.version },
            after: za && { revision: za.revision, version: za.version },
            ok: verdict.ok,
            ...(verdict.ok ? {} : { reason: verdict.reason }),
        });
    }
    return rows;
}

/** Builds the report of one preview from its engine events. */
export function buildReport(events: readonly EngineEvent[], ctx: ReportContext): PlanReport {
    const changes: Change[] = [];
    const policies: PolicyResult[] = [];
    const errors: string[] = [];
    let counts: Record<string, number> = {};
    let outputs: Record<string, any> | undefined;
    let upgrade: UpgradePlan | undefined;

    for (const e of events) {
        const step = e.resourcePreEvent?.metadata;
        // Components only group objects; the objects are what changes.
        if (step && step.type !== "pulumi:pulumi:Stack" && !step.type.startsWith("istio-mesh:")) {
            changes.push({ op: step.op, type: step.type, name: nameOf(step.urn), urn: step.urn, ...(step.diffs?.length ? { diffs: step.diffs } : {}) });
        }
        const out = e.resOutputsEvent?.metadata;
        if (out?.type === "pulumi:pulumi:Stack") {
            outputs = out.new?.outputs;
        }
        // The plan is an output of the mesh component, not of the stack (program.ts stackOutputs says why).
        if (out?.type === TYPE.mesh) {
            upgrade = out.new?.outputs?.upgradePlan;
        }
        if (e.policyEvent) {
            const p = e.policyEvent;
            const advice = ctx.advice?.[p.policyName];
            // The engine puts the policy's description before the violation's own text; the advice column has it.
            const message = advice && p.message.trim().startsWith(advice) ? p.message.trim().slice(advice.length).trim() : p.message.trim();
            policies.push({
                policy: p.policyName, pack: p.policyPackName, level: p.enforcementLevel, message,
                ...(p.resourceUrn ? { resource: nameOf(p.resourceUrn) } : {}),
                ...(advice ? { advice } : {}),
            });
        }
        if (e.diagnosticEvent?.severity === "error") {
            errors.push(e.diagnosticEvent.message.trim());
        }
        if (e.summaryEvent) {
            counts = { ...e.summaryEvent.resourceChanges } as Record<string, number>;
        }
    }
    policies.sort((a, b) => (a.level === b.level ? a.policy.localeCompare(b.policy) : a.level === "mandatory" ? -1 : 1));

    const meshState = outputs?.meshState as MeshState | undefined;
    // The restarts are the program's decision (upgradePlan.rollout, from what the pods run): never re-derived here.
    const rollout = upgrade?.rollout;
    const restarting = new Map((rollout?.namespaces ?? []).map(n => [n.namespace, n.restart.length]));
    const moves = new Map((upgrade?.namespacesMoving ?? []).filter(m => m.to).map(m => [m.name, m]));
    const names = [...moves.keys(), ...[...restarting.keys()].filter(n => !moves.has(n) && restarting.get(n)! > 0)];
    const namespaces: NamespaceMove[] = names.flatMap(name => {
        const to = moves.get(name)?.to ?? meshState?.namespaces[name];
        if (!to) {
            return [];
        }
        const count = rollout?.observed ? restarting.get(name) ?? 0 : null;
        return [{ namespace: name, ...(moves.get(name)?.from ? { from: moves.get(name)!.from } : {}), to, restart: count === null || count > 0, workloads: count }];
    });
    const phases = PHASES.map(phase => ({
        phase,
        changes: changes.filter(c => c.op !== "same" && c.op !== "read" && phaseOf(c) === phase),
    })).filter(p => p.changes.length > 0);

    const reasons: string[] = [];
    if (ctx.previewError || errors.length > 0) {
        reasons.push(`the preview failed: ${ctx.previewError ?? errors[0]}`);
    }
    const mandatory = policies.filter(p => p.level === "mandatory");
    if (mandatory.length > 0) {
        reasons.push(`${mandatory.length} mandatory policy violation(s): ${[...new Set(mandatory.map(p => p.policy))].join(", ")}`);
    }
    return {
        stack: ctx.stack,
        safe: reasons.length === 0,
        reasons,
        phases,
        upgrade,
        namespaces,
        workloadsCounted: rollout?.observed ?? false,
        skew: skewRows(ctx.previous, meshState),
        policies,
        counts: Object.fromEntries(COUNTED_OPS.map(op => [op, counts[op] ?? 0])),
        errors,
    };
}
