/**
 * Derived facts of a validated MeshSpec (pure): which revision each namespace and gateway effectively runs,
 * what the previous `up` recorded, and what this step changes in upgrade terms (the `upgradePlan`).
 * Components receive these facts; none re-derives them.
 */
import { AMBIENT_MODE, compareVersions, DATAPLANE_MODE_LABEL, DEFAULT_TAG, GatewayApiChannel, revisionWithVersion } from "../istio";
import { MeshSpec, PreviousState, RevisionSpec } from "./config";
import type { GatePlan } from "./gate";
import { GatewayApiPlan, planGatewayApi } from "./gatewayApi";
import { groupInOrder } from "./group";
import { RolloutReport, rolloutSummary } from "./rollout";

/** Where a namespace or gateway points and what that resolves to. */
export interface Binding {
    /** The revision or tag as configured (written as istio.io/rev). */
    readonly target: string;
    /** The revision that target resolves to. */
    readonly revision: string;
    /** That revision's Istio version: the proxy version after a restart. */
    readonly version: string;
}

/** When a stack started (and, if it did, stopped) running an Istio version: ISO 8601 times. */
export interface VersionRun {
    readonly since: string;
    readonly until?: string;
}

/** The state each `up` records in the `meshState` output, read back by the next run. */
export interface MeshState extends PreviousState {
    readonly revisions: Readonly<Record<string, { version: string; upgradedFrom?: string }>>;
    readonly tags: Readonly<Record<string, string>>;
    readonly namespaces: Readonly<Record<string, Binding>>;
    readonly gateways: Readonly<Record<string, Binding>>;
    readonly cni?: { readonly version: string };
    /**
     * The Gateway API: the CRDs' release the program applied (absent: unmanaged) and where each Gateway of class
     * istio points. Absent in states of older programs.
     */
    readonly gatewayApi?: GatewayApiState;
    /**
     * The version of the CRDs installed (absent in states of older programs, see crdDowngrade); `step`: applied by the
     * `crds` step, outside the engine's resources (live stacks; absent where they are objects of the base chart).
     */
    readonly crds?: { readonly version: string; readonly step?: boolean };
    /** Per Istio version, when this stack started running it (model/promotion.ts); absent in states of older programs. */
    readonly versionsRun?: Readonly<Record<string, VersionRun>>;
    /**
     * The legacy istio-injection label (its value) of each bound namespace that the program removed, held until the
     * namespace leaves the config or the mesh is torn down, when it is given back. Absent: none.
     */
    readonly legacyInjection?: Readonly<Record<string, string>>;
}

/** The Gateway API part of the recorded state. */
export interface GatewayApiState {
    readonly crds?: { readonly version: string; readonly channel: GatewayApiChannel };
    /** Per Gateway (namespace/name), its binding. */
    readonly gateways: Readonly<Record<string, Binding>>;
}

export interface RevisionFacts extends RevisionSpec {
    /** The version this revision was upgraded in place from, when it was (sticky until the next in-place change). */
    readonly upgradedFrom?: string;
    readonly tags: readonly string[];
    readonly namespaces: readonly string[];
    /** Gateways as namespace/name: the gateway chart's and the Gateway API's. */
    readonly gateways: readonly string[];
}

export interface MeshFacts {
    readonly revisions: readonly RevisionFacts[];
    /** The newest revision: the base chart (CRDs) follows it, since CRDs must be upgraded before any new istiod. */
    readonly newest: RevisionSpec;
    /** The revision the `default` tag points at (it owns default validation), if there is a default tag. */
    readonly defaultRevision?: string;
    readonly namespaces: Readonly<Record<string, Binding>>;
    readonly gateways: Readonly<Record<string, Binding>>;
    /** Per Gateway API gateway (namespace/name), where it points. */
    readonly gatewayApi: Readonly<Record<string, Binding>>;
    /** The state to record for the next run. */
    readonly state: MeshState;
}

/** The key of a gateway in facts and state. */
export function gatewayId(g: { namespace: string; name: string }): string {
    return `${g.namespace}/${g.name}`;
}

/**
 * The Pulumi resource name of a gateway: injective, since "/" appears in no namespace or gateway name
 * (`edge/a-b` and `edge-a/b` once both became `gateway-edge-a-b`, and the engine refused the duplicate).
 */
export function gatewayResourceName(g: { namespace: string; name: string }): string {
    return `gateway-${gatewayId(g)}`;
}

/**
 * The name earlier versions gave a gateway: still its Helm release name (a label on its pods, so keeping it
 * rolls nothing) and its alias, so a stack deployed by them keeps its gateways. No alias where two gateways of
 * the config share it: an alias must name one resource.
 */
export function legacyGatewayName(g: { namespace: string; name: string }, all: readonly { namespace: string; name: string }[]):
    { releaseName: string; alias?: string } {
    const legacy = (x: { namespace: string; name: string }) => `gateway-${x.namespace}-${x.name}`;
    const shared = all.filter(x => legacy(x) === legacy(g)).length > 1;
    return { releaseName: legacy(g), ...(shared ? {} : { alias: legacy(g) }) };
}

/** Resolves a revision or tag to its revision. The spec is validated, so every target resolves. */
export function resolveTarget(spec: MeshSpec, target: string): RevisionSpec {
    const revisionName = spec.tags.find(t => t.name === target)?.revision ?? target;
    const revision = spec.revisions.find(r => r.name === revisionName);
    if (!revision) {
        throw new Error(`"${target}" resolves to no revision: the spec was not validated`);
    }
    return revision;
}

function bind(spec: MeshSpec, target: string): Binding {
    const revision = resolveTarget(spec, target);
    return { target, revision: revision.name, version: revision.version };
}

function upgradedFrom(revision: RevisionSpec, previous?: PreviousState): string | undefined {
    const before = previous?.revisions[revision.name];
    if (!before) {
        return undefined;
    }
    return before.version !== revision.version ? before.version : before.upgradedFrom;
}

/** Computes the facts of a spec, given what the previous run recorded. */
export function meshFacts(spec: MeshSpec, previous?: PreviousState): MeshFacts {
    const namespaces: Record<string, Binding> = {};
    for (const ns of spec.namespaces) {
        namespaces[ns.name] = bind(spec, ns.target);
    }
    const gateways: Record<string, Binding> = {};
    for (const gw of spec.gateways) {
        gateways[gatewayId(gw)] = bind(spec, gw.target);
    }
    const gatewayApi: Record<string, Binding> = {};
    for (const gw of spec.gatewayApi.gateways) {
        gatewayApi[gatewayId(gw)] = bind(spec, gw.target);
    }
    const revisions: RevisionFacts[] = spec.revisions.map(r => ({
        ...r,
        upgradedFrom: upgradedFrom(r, previous),
        tags: spec.tags.filter(t => t.revision === r.name).map(t => t.name),
        namespaces: Object.keys(namespaces).filter(n => namespaces[n].revision === r.name),
        gateways: [...Object.keys(gateways), ...Object.keys(gatewayApi)].filter(g => (gateways[g] ?? gatewayApi[g]).revision === r.name),
    }));
    const newest = [...spec.revisions].sort((a, b) => compareVersions(b.version, a.version))[0];
    const state: MeshState = {
        revisions: Object.fromEntries(revisions.map(r => [r.name,
            r.upgradedFrom ? { version: r.version, upgradedFrom: r.upgradedFrom } : { version: r.version }])),
        tags: Object.fromEntries(spec.tags.map(t => [t.name, t.revision])),
        namespaces,
        gateways,
        ...(spec.cni ? { cni: { version: spec.cni.version } } : {}),
        ...(spec.ambient ? {
            ambient: { ztunnel: { version: spec.ambient.ztunnel.version, revision: spec.ambient.ztunnel.revision }, namespaces: spec.ambient.namespaces },
        } : {}),
        gatewayApi: { ...(spec.gatewayApi.crds ? { crds: spec.gatewayApi.crds } : {}), gateways: gatewayApi },
        crds: { version: newest.version, ...(spec.renderDirectory ? {} : { step: true }) },
        placement: spec.placement,
    };
    return {
        revisions, newest, namespaces, gateways, gatewayApi, state,
        defaultRevision: spec.tags.find(t => t.name === DEFAULT_TAG)?.revision,
    };
}

/** The CRDs' version the previous `up` installed; states of older programs: their newest revision's version. */
function installedCrds(previous: MeshState | undefined): string | undefined {
    return previous?.crds?.version ?? Object.values(previous?.revisions ?? {}).map(r => r.version).sort(compareVersions).pop();
}

/**
 * The refusal of a step that would lower the CRDs' version (reverting the step that added a newer revision): the
 * base chart follows the newest revision, and a downgrade of the CRDs can drop fields users' Istio objects use.
 * Undefined when the step keeps or raises them.
 */
export function crdDowngrade(previous: MeshState | undefined, facts: MeshFacts): { key: string; value: unknown; message: string; fix: string } | undefined {
    const installed = installedCrds(previous);
    if (!installed || compareVersions(facts.newest.version, installed) >= 0) {
        return undefined;
    }
    return {
        key: "revisions", value: facts.revisions.map(r => ({ name: r.name, version: r.version })),
        message: `the CRDs are at ${installed}; this config's newest revision is ${facts.newest.version}, and the base chart would downgrade them ` +
            `(a downgrade can drop fields that VirtualServices, DestinationRules or AuthorizationPolicies use)`,
        fix: `keep a revision at ${installed} or newer in istio-mesh:revisions (older control planes run fine on newer CRDs); ` +
            `to downgrade the CRDs deliberately, see the README (Rollout: "The CRDs: one step, kept") and set ISTIO_MESH_ALLOW_CRD_DOWNGRADE=1 for that one up`,
    };
}

/** ztunnel as recorded: its version and the revision serving it. */
export interface ZtunnelState {
    readonly version: string;
    readonly revision: string;
}

/** A namespace or gateway whose effective revision or version changes. */
export interface Move {
    readonly name: string;
    readonly from?: Binding;
    readonly to?: Binding;
}

/** What this config changes, in upgrade terms. */
export interface UpgradePlan {
    readonly revisionsAdded: readonly { name: string; version: string }[];
    readonly revisionsRetired: readonly { name: string; version: string }[];
    readonly revisionsUpgradedInPlace: readonly { name: string; from: string; to: string }[];
    readonly tagsMoved: readonly { tag: string; from?: string; to?: string }[];
    /** Namespaces whose binding changes (label, revision or version); which workloads restart is `rollout`'s. */
    readonly namespacesMoving: readonly Move[];
    /** Namespaces no longer managed: their istio.io/rev label is removed; nothing restarts. */
    readonly namespacesReleased: readonly string[];
    readonly gatewaysMoving: readonly Move[];
    /** The Gateway API: its CRDs, the Gateways that move (in waves) and those a tag move re-deploys. */
    readonly gatewayApi: GatewayApiPlan;
    /** Namespaces whose legacy istio-injection label the program removes in this step, and those it gives back. */
    readonly legacyInjection: { readonly removed: readonly string[]; readonly givenBack: readonly string[] };
    readonly cni?: { readonly from?: string; readonly to?: string };
    /** ztunnel's version and revision before and after, when either changes. */
    readonly ztunnel?: { readonly from?: ZtunnelState; readonly to?: ZtunnelState };
    /** ztunnel per node as observed when the program ran (live stacks in ambient mode): what each node runs, what moves, what is cordoned. */
    readonly ztunnelNodes?: {
        readonly nodes: readonly { readonly name: string; readonly version?: string; readonly actions: readonly string[]; readonly cordonedByUs: boolean }[];
        readonly version: string;
    };
    /** Namespaces entering the ambient mesh (with the sidecar binding they leave, if any) and leaving it (to sidecars, or unmanaged). */
    readonly ambientNamespaces: { readonly enrolled: readonly Move[]; readonly left: readonly Move[] };
    /** The workload restarts, decided from what the cluster runs (model/rollout/decide.ts); absent when not computed. */
    readonly rollout?: RolloutReport;
    /** One line per change, in the order `up` carries them out; empty when nothing changes. */
    readonly summary: readonly string[];
    /** The health gates of this step (model/gate), when the gate is on. */
    readonly healthGate?: GatePlan;
}

function sameBinding(a?: Binding, b?: Binding): boolean {
    return !!a && !!b && a.revision === b.revision && a.version === b.version && a.target === b.target;
}

/**
 * True when a binding change changes what the sidecars should run (a label-only change does not). The restarts
 * themselves are decided from the pods (model/rollout/decide.ts), not from this.
 */
export function needsRestart(from: Binding | undefined, to: Binding): boolean {
    return !from || from.revision !== to.revision || from.version !== to.version;
}

function describeZtunnel(z: ZtunnelState): string {
    return `${z.version} (served by ${z.revision})`;
}

function describe(b?: Binding): string {
    if (!b) {
        return "(none)";
    }
    return b.target === b.revision ? revisionWithVersion(b) : `${b.target} -> ${revisionWithVersion(b)}`;
}

/** Up to this many namespaces making the same change get a line each; more share one line that names them all. */
const LINES_PER_CHANGE = 3;

/**
 * One summary line per namespace, or one per change when more namespaces make it (a step moving 200 namespaces
 * the same way reads as one line naming them all, not 200), in the order of each change's first namespace.
 */
function namespaceLines(changes: { name: string; change: string }[]): string[] {
    return [...groupInOrder(changes, c => c.change)].map(([change, group]) => [change, group.map(c => c.name)] as const)
        .flatMap(([change, names]) => names.length <= LINES_PER_CHANGE
        ? names.map(n => `namespace ${n}: ${change}`)
        : [`${names.length} namespaces: ${change}: ${names.join(", ")}`]);
}

/** The step as the preview's one diagnostic: each change once, in the order `up` carries them out. */
export function describeStep(plan: UpgradePlan): string {
    if (plan.summary.length === 0) {
        return "istio-mesh: this step changes nothing in the mesh";
    }
    const n = plan.summary.length;
    return `istio-mesh: this step (${n} change${n === 1 ? "" : "s"}, in order):\n${plan.summary.map((line, i) => `  ${i + 1}. ${line}`).join("\n")}`;
}

/**
 * Compares the recorded previous state with the new facts; `rollout` adds the restarts observed on the cluster;
 * `parallel` is how many Gateway API gateways move at once (the rollout's parallelNamespaces); `nodes`, ztunnel's nodes
 * (their lines follow ztunnel's).
 */
export function planUpgrade(previous: MeshState | undefined, facts: Pick<MeshFacts, "state">, rollout?: RolloutReport, parallel = 1,
                            nodes?: { lines: readonly string[]; report: NonNullable<UpgradePlan["ztunnelNodes"]> }): UpgradePlan {
    const before = previous ?? { revisions: {}, tags: {}, namespaces: {}, gateways: {} };
    const now = facts.state;
    const revisionsAdded = Object.entries(now.revisions).filter(([n]) => !before.revisions[n])
        .map(([name, r]) => ({ name, version: r.version }));
    const revisionsRetired = Object.entries(before.revisions).filter(([n]) => !now.revisions[n])
        .map(([name, r]) => ({ name, version: r.version }));
    const revisionsUpgradedInPlace = Object.entries(now.revisions)
        .filter(([n, r]) => before.revisions[n] && before.revisions[n].version !== r.version)
        .map(([name, r]) => ({ name, from: before.revisions[name].version, to: r.version }));
    const tagNames = [...new Set([...Object.keys(before.tags ?? {}), ...Object.keys(now.tags)])].sort();
    const tagsMoved = tagNames.filter(t => before.tags?.[t] !== now.tags[t])
        .map(tag => ({ tag, from: before.tags?.[tag], to: now.tags[tag] }));
    const namespacesMoving = Object.entries(now.namespaces)
        .filter(([n, to]) => needsRestart(before.namespaces?.[n], to) || !sameBinding(before.namespaces?.[n], to))
        .map(([name, to]) => ({ name, from: before.namespaces?.[name], to }));
    // A namespace moving to ambient leaves the sidecar bindings too: it is listed as enrolled, not released.
    const namespacesReleased = Object.keys(before.namespaces ?? {}).filter(n => !now.namespaces[n] && !(now.ambient?.namespaces ?? []).includes(n));
    const gatewayIds = [...new Set([...Object.keys(before.gateways ?? {}), ...Object.keys(now.gateways)])].sort();
    const gatewaysMoving = gatewayIds.filter(g => !sameBinding(before.gateways?.[g], now.gateways[g]))
        .map(name => ({ name, from: before.gateways?.[name], to: now.gateways[name] }));
    const cni = before.cni?.version !== now.cni?.version ? { from: before.cni?.version, to: now.cni?.version } : undefined;
    const zBefore = before.ambient?.ztunnel;
    const zNow = now.ambient?.ztunnel;
    const ztunnel = zBefore?.version !== zNow?.version || zBefore?.revision !== zNow?.revision
        ? { ...(zBefore ? { from: zBefore } : {}), ...(zNow ? { to: zNow } : {}) } : undefined;
    const ambientBefore = new Set(before.ambient?.namespaces ?? []);
    const ambientNow = new Set(now.ambient?.namespaces ?? []);
    const ambientNamespaces = {
        enrolled: [...ambientNow].filter(n => !ambientBefore.has(n)).map(name => ({ name, from: before.namespaces?.[name] })),
        left: [...ambientBefore].filter(n => !ambientNow.has(n)).map(name => ({ name, to: now.namespaces[name] })),
    };
    const legacyInjection = {
        removed: Object.keys(now.legacyInjection ?? {}).filter(n => before.legacyInjection?.[n] === undefined),
        givenBack: Object.keys(before.legacyInjection ?? {}).filter(n => now.legacyInjection?.[n] === undefined),
    };

    const gatewayApi = planGatewayApi(previous?.gatewayApi, now.gatewayApi ?? { gateways: {} }, tagsMoved, parallel);
    const summary: string[] = [];
    const crdsFrom = installedCrds(previous);
    if (now.crds && crdsFrom !== now.crds.version) {
        summary.push(`CRDs: ${crdsFrom ?? "(none)"} -> ${now.crds.version}, applied before any control plane`);
    }
    if (previous && now.crds?.step && !previous.crds?.step) {
        // Stacks of earlier programs (or render mode) held the CRDs as objects of the base chart, kept on delete.
        summary.push("CRDs: applied by the crds step from now on (kubectl apply --server-side); their objects leave the stack's state " +
            "and stay in the cluster (the CRD deletions of this preview delete nothing)");
    }
    summary.push(...(gatewayApi.crdsLine ? [gatewayApi.crdsLine] : []));
    revisionsAdded.forEach(r => summary.push(`add control plane ${r.name} (${r.version})`));
    revisionsUpgradedInPlace.forEach(r => summary.push(`upgrade control plane ${r.name} in place: ${r.from} -> ${r.to}`));
    if (cni) {
        summary.push(`istio-cni: ${cni.from ?? "(none)"} -> ${cni.to ?? "(removed)"}`);
    }
    if (ztunnel) {
        summary.push(`ztunnel: ${ztunnel.from ? describeZtunnel(ztunnel.from) : "(none)"} -> ${ztunnel.to ? describeZtunnel(ztunnel.to) : "(removed)"}`);
    }
    summary.push(...(nodes?.lines ?? []));
    tagsMoved.forEach(t => summary.push(`tag ${t.tag}: ${t.from ?? "(new)"} -> ${t.to ?? "(removed)"}`));
    gatewaysMoving.forEach(g => summary.push(`gateway ${g.name}: ${describe(g.from)} -> ${g.to ? describe(g.to) : "(removed)"}`));
    summary.push(...gatewayApi.summary);
    summary.push(...namespaceLines(namespacesMoving.map(m => ({
        name: m.name, change: ambientBefore.has(m.name)
            ? `ambient -> ${describe(m.to)}; its workloads restart to get sidecars`
            : `${describe(m.from)} -> ${describe(m.to)}` + (needsRestart(m.from, m.to!) ? "" : "; label only"),
    }))));
    summary.push(...namespaceLines(ambientNamespaces.enrolled.map(m => ({
        name: m.name, change: `${m.from ? describe(m.from) : "(none)"} -> ambient (${DATAPLANE_MODE_LABEL}=${AMBIENT_MODE})` +
            (m.from ? "; its workloads restart so their sidecars go" : "; no restart needed"),
    }))));
    summary.push(...namespaceLines(ambientNamespaces.left.filter(m => !m.to).map(m => ({ name: m.name, change: "ambient -> no longer managed (label removed, no restart)" }))));
    summary.push(...namespaceLines(legacyInjection.removed.map(name => ({
        name, change: `istio-injection=${now.legacyInjection![name]} removed as istio.io/rev is set (given back when released)`,
    }))));
    summary.push(...(rollout ? rolloutSummary(rollout) : []));
    summary.push(...namespaceLines(namespacesReleased.map(name => ({ name, change: "no longer managed (label removed, no restart)" }))));
    summary.push(...namespaceLines(legacyInjection.givenBack.map(name => ({ name, change: `istio-injection=${before.legacyInjection![name]} given back` }))));
    revisionsRetired.forEach(r => summary.push(`retire control plane ${r.name} (${r.version}) once no running pod uses it`));
    return {
        revisionsAdded, revisionsRetired, revisionsUpgradedInPlace, tagsMoved, namespacesMoving, namespacesReleased,
        gatewaysMoving, gatewayApi, legacyInjection, cni, ...(ztunnel ? { ztunnel } : {}), ...(nodes ? { ztunnelNodes: nodes.report } : {}), ambientNamespaces,
        ...(rollout ? { rollout } : {}), summary,
    };
}
