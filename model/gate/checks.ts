/**
 * The health gate's checks (pure): the built-in ones with their config keys and defaults, the user's, and each
 * resolved for the places a gate looks at (a revision, a namespace, a gateway, or the whole mesh).
 */
import { ISTIOD_METRICS, PROXY_METRICS, REQUEST_SELECTORS, XDS_SEND_ERROR_TYPES } from "../../istio/metrics";
import { fillPlaceholders } from "./promql";

export type Comparison = "<" | "<=" | ">" | ">=";
export const COMPARISONS: readonly Comparison[] = ["<", "<=", ">", ">="];

/**
 * delta: a counter's growth between the moment before the change and the end of the bake (absent reads as 0: a
 * counter with labels appears only once it is incremented); level: the query's value at the end of the bake.
 */
export type Measure = "delta" | "level";

/** Where a check looks: one revision's istiods, a namespace's or a gateway's traffic, or the whole mesh. */
export type ScopeKind = "revision" | "workloads" | "mesh";

export interface CheckTemplate {
    /** `xdsRejects`, or the user check's name. */
    readonly name: string;
    /** The config key that sets its threshold (or, for a user check, the check), named in failures. */
    readonly configKey: string;
    readonly scope: ScopeKind;
    /** PromQL with placeholders ({revision}, {namespace}, {gateway}, {requests}, {window}, {range}). */
    readonly query: string;
    readonly measure: Measure;
    readonly comparison: Comparison;
    /** The value the measure is compared with; absent when only the comparison with before applies. */
    readonly threshold?: number;
    /** Compared with the value before the change too: at most before + margin, or before x factor. */
    readonly baseline?: { readonly margin?: number; readonly factor?: number };
    /** For messages: "ratio", "s", "ms", or "" (a count). */
    readonly unit: string;
    /** What it watches, in a few words. */
    readonly description: string;
}

/** A check resolved for one place: its query names the revision, namespace or gateway. */
export interface Check extends Omit<CheckTemplate, "scope"> {
    /** "revision 1-31", "namespace shop", "gateway istio-ingress/ingress" or "mesh". */
    readonly where: string;
}

/** A built-in check's settings: on or off, and its thresholds. */
export interface BuiltinSettings {
    readonly enabled: boolean;
    readonly max?: number;
    readonly margin?: number;
    readonly factor?: number;
}

export interface UserCheck {
    readonly name: string;
    readonly query: string;
    readonly comparison: Comparison;
    readonly threshold: number;
}

/** The validated `healthGate` config. */
export interface HealthGateSpec {
    readonly url: string;
    /** A PEM file of the CA that signs Prometheus' certificate (https). */
    readonly caFile?: string;
    /** How long to watch after each change before the checks run, as written, and in milliseconds. */
    readonly bake: string;
    readonly bakeMs: number;
    /** The range of rates and quantiles, as written (a PromQL duration). */
    readonly window: string;
    /** Prometheus unreachable, a failed query or a query without data: fail the step (default) or skip the check. */
    readonly onNoData: "fail" | "skip";
    /** Label matchers of one revision's istiods, `{revision}` replaced. */
    readonly istiodSelector: string;
    readonly builtins: Readonly<Record<BuiltinName, BuiltinSettings>>;
    readonly checks: readonly UserCheck[];
}

interface Builtin {
    readonly group: "controlPlane" | "dataPlane";
    readonly description: string;
    readonly defaults: Omit<BuiltinSettings, "enabled">;
    /** The settings this check has (docs and parsing). */
    readonly settings: readonly ("max" | "margin" | "factor")[];
    readonly template: (s: BuiltinSettings, istiod: string) => Omit<CheckTemplate, "name" | "configKey" | "description">;
}

const increase = (metric: string, extra = "") => (istiod: string): string => `sum(${metric}{${istiod}${extra}})`;
const rate = (metric: string, extra = "") => `rate(${metric}{{requests}${extra}}[{window}])`;
const counter = (query: (istiod: string) => string) => (s: BuiltinSettings, istiod: string) =>
    ({ scope: "revision" as const, query: query(istiod), measure: "delta" as const, comparison: "<=" as const, threshold: s.max, unit: "" });

/** The built-in checks, by name: control plane per revision, data plane per namespace and gateway. */
export const BUILTINS = {
    xdsRejects: {
        group: "controlPlane", description: "config proxies rejected (xDS NACKs)", defaults: { max: 0 }, settings: ["max"],
        template: counter(increase(ISTIOD_METRICS.xdsRejects)),
    },
    xdsInternalErrors: {
        group: "controlPlane", description: "istiod's internal errors building config", defaults: { max: 0 }, settings: ["max"],
        template: counter(increase(ISTIOD_METRICS.xdsInternalErrors)),
    },
    xdsWriteTimeouts: {
        group: "controlPlane", description: "pushes that timed out", defaults: { max: 0 }, settings: ["max"],
        template: counter(increase(ISTIOD_METRICS.xdsWriteTimeouts)),
    },
    xdsSendErrors: {
        group: "controlPlane", description: "pushes that failed to send", defaults: { max: 0 }, settings: ["max"],
        template: counter(increase(ISTIOD_METRICS.xdsPushes, `,type=~"${XDS_SEND_ERROR_TYPES}"`)),
    },
    injectionFailures: {
        group: "controlPlane", description: "sidecar injections that failed", defaults: { max: 0 }, settings: ["max"],
        template: counter(increase(ISTIOD_METRICS.injectionFailures)),
    },
    convergenceP99: {
        group: "controlPlane", description: "p99 of the time until every proxy has new config (s)", defaults: { max: 10 }, settings: ["max"],
        // No push in the window (no proxy connected yet, as for a new control plane) is no delay: 0.
        template: (s, istiod) => ({
            scope: "revision", measure: "level", comparison: "<=", threshold: s.max, unit: "s",
            query: `histogram_quantile(0.99, sum by (le) (rate(${ISTIOD_METRICS.convergence}_bucket{${istiod}}[{window}]))) > 0 or on() vector(0)`,
        }),
    },
    istiodUp: {
        group: "controlPlane", description: "every istiod of the revision scraped and up at the end of the bake", defaults: {}, settings: [],
        // No series at all (nothing scraped) is no data: the gate fails closed. The last scrape, not the whole range: an
        // istiod that became ready just before the gate may have missed the first scrapes of the bake.
        template: (_s, istiod) => ({ scope: "revision", measure: "level", comparison: ">=", threshold: 1, unit: "", query: `min(up{${istiod}})` }),
    },
    errorRate: {
        group: "dataPlane", description: "share of requests answered 5xx", defaults: { max: 0.01, margin: 0.005 }, settings: ["max", "margin"],
        template: s => ({
            scope: "workloads", measure: "level", comparison: "<=", threshold: s.max, baseline: { margin: s.margin }, unit: "ratio",
            query: `(sum(${rate(PROXY_METRICS.requests, `,response_code=~"5.."`)}) or on() vector(0)) / sum(${rate(PROXY_METRICS.requests)})`,
        }),
    },
    latencyP99: {
        group: "dataPlane", description: "p99 request duration (ms)", defaults: { factor: 1.5 }, settings: ["max", "factor"],
        template: s => ({
            scope: "workloads", measure: "level", comparison: "<=", threshold: s.max, baseline: { factor: s.factor }, unit: "ms",
            query: `histogram_quantile(0.99, sum by (le) (${rate(`${PROXY_METRICS.duration}_bucket`)}))`,
        }),
    },
} satisfies Record<string, Builtin>;

export type BuiltinName = keyof typeof BUILTINS;
export const BUILTIN_NAMES = Object.keys(BUILTINS) as BuiltinName[];

/** The defaults of every built-in check (all on). */
export function defaultBuiltins(): Record<BuiltinName, BuiltinSettings> {
    return Object.fromEntries(BUILTIN_NAMES.map(n => [n, { enabled: true, ...BUILTINS[n].defaults }])) as Record<BuiltinName, BuiltinSettings>;
}

/** The config key of a built-in check's setting, e.g. `healthGate.dataPlane.errorRate.max`. */
export function builtinKey(name: BuiltinName, setting?: string): string {
    return `healthGate.${BUILTINS[name].group}.${name}${setting ? `.${setting}` : ""}`;
}

/** A user check's scope from its placeholders: {namespace} -> workloads, else {revision} -> revision, else mesh. */
export function userScope(query: string): ScopeKind {
    return query.includes("{namespace}") ? "workloads" : query.includes("{revision}") ? "revision" : "mesh";
}

/** The gate's check templates: the built-ins that are on, then the user's checks, the istiod selector filled in. */
export function checkTemplates(gate: HealthGateSpec): CheckTemplate[] {
    const builtins = BUILTIN_NAMES.filter(n => gate.builtins[n].enabled).map((name): CheckTemplate => {
        const b: Builtin = BUILTINS[name];
        const settings = gate.builtins[name];
        const key = b.settings.find(s => settings[s] !== undefined);
        return { name, configKey: builtinKey(name, key), description: b.description, ...b.template(settings, gate.istiodSelector) };
    });
    const users = gate.checks.map((c, i): CheckTemplate => ({
        name: c.name, configKey: `healthGate.checks[${i}]`, description: "user check", scope: userScope(c.query),
        query: c.query, measure: "level", comparison: c.comparison, threshold: c.threshold, unit: "",
    }));
    return [...builtins, ...users];
}

/** The places one gate looks at. */
export interface GateScopes {
    /** Revisions whose istiods are watched. */
    readonly revisions: readonly string[];
    /** Namespaces whose traffic is watched, with the revision each moved to. */
    readonly namespaces: readonly { namespace: string; revision: string }[];
    /** Gateways whose traffic is watched. */
    readonly gateways: readonly { name: string; namespace: string; revision: string }[];
}

/**
 * Each template resolved for each place of `scopes` it applies to: revision checks per revision, workload checks per
 * namespace and per gateway (a gateway's requests are its own; a user check's {namespace} is the gateway's), mesh
 * checks once. `{window}` is filled; `{range}` is left for the step (it knows how long it watched).
 */
export function resolveChecks(templates: readonly CheckTemplate[], scopes: GateScopes, window: string): Check[] {
    const out: Check[] = [];
    const add = (t: CheckTemplate, where: string, values: Record<string, string>) => {
        const { scope: _scope, ...rest } = t;
        // {requests} is a list of matchers, not a label value: substituted first, its own placeholders filled.
        const requests = fillPlaceholders(values.gateway ? REQUEST_SELECTORS.gateway : REQUEST_SELECTORS.namespace, values);
        const query = fillPlaceholders(t.query.split("{requests}").join(requests), { ...values, window });
        out.push({ ...rest, where, query });
    };
    for (const t of templates) {
        if (t.scope === "revision") {
            scopes.revisions.forEach(revision => add(t, `revision ${revision}`, { revision }));
        } else if (t.scope === "workloads") {
            scopes.namespaces.forEach(n => add(t, `namespace ${n.namespace}`, { namespace: n.namespace, revision: n.revision }));
            scopes.gateways.forEach(g => add(t, `gateway ${g.namespace}/${g.name}`, { gateway: g.name, namespace: g.namespace, revision: g.revision }));
        } else {
            add(t, "mesh", {});
        }
    }
    return out;
}
