/**
 * The `healthGate` config section -> HealthGateSpec (pure): the checks its schema cannot make (the URL, durations,
 * thresholds, user checks' placeholders and metric names, the secret keys). Its shape is checked by the schema first.
 */
import { DEFAULT_ISTIOD_SELECTOR, RETIRED_METRICS } from "../../istio/metrics";
import { parseDuration } from "../duration";
import { BUILTIN_NAMES, BUILTINS, BuiltinName, BuiltinSettings, builtinKey, Comparison, defaultBuiltins, HealthGateSpec, UserCheck } from "./checks";
import { placeholdersOf, USER_PLACEHOLDERS } from "./promql";

/** The secret config keys of the gate: like registryCredentials, their values never enter RawConfig (model/config/raw.ts). */
export const GATE_SECRET_KEYS = { bearerToken: "healthGateBearerToken", headers: "healthGateHeaders" } as const;

/** What RawConfig carries for a gate secret instead of its value. */
export const GATE_SECRET = {
    secret: "[secret]",
    plain: "[set in plain text]",
    notHeaders: "[secret, not a JSON map of header names to text values]",
} as const;

export const GATE_DEFAULTS = { bake: "2m", window: "1m", onNoData: "fail" } as const;

/** A problem with the section (model/config adds the `istio-mesh:` prefix and lists it with the others). */
export interface GateProblem { key: string; value: unknown; message: string; fix: string }

/** Whether a secret's text is a JSON map of HTTP header names to text values (never echoed: only yes or no). */
export function isHeaderMap(text: string): boolean {
    try {
        const doc = JSON.parse(text);
        return typeof doc === "object" && doc !== null && !Array.isArray(doc) &&
            Object.entries(doc).every(([k, v]) => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k) && typeof v === "string");
    } catch {
        return false;
    }
}

interface RawGate {
    prometheus?: { url?: string; caFile?: string };
    bake?: string;
    window?: string;
    onNoData?: "fail" | "skip";
    istiodSelector?: string;
    controlPlane?: Record<string, Partial<BuiltinSettings>>;
    dataPlane?: Record<string, Partial<BuiltinSettings>>;
    checks?: { name: string; query: string; comparison: Comparison; threshold: number }[];
}

function checkUrl(url: string | undefined, problems: GateProblem[]): void {
    const key = "healthGate.prometheus.url";
    if (url === undefined) {
        problems.push({ key, value: url, message: "is required", fix: "set Prometheus' base URL, e.g. url: http://prometheus.monitoring:9090" });
        return;
    }
    let parsed: URL | undefined;
    try {
        parsed = new URL(url);
    } catch {
        parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol)) {
        problems.push({ key, value: url, message: "is not an http:// or https:// URL", fix: "write Prometheus' base URL, e.g. http://prometheus.monitoring:9090" });
    } else if (parsed.username || parsed.password) {
        // The URL is an input of every gate step, shown in previews: credentials go in the secret keys.
        problems.push({ key, value: `${parsed.protocol}//(credentials)@${parsed.host}`, message: "holds credentials, which the preview would show",
            fix: `remove them from the URL and set them as a secret: pulumi config set --secret ${GATE_SECRET_KEYS.bearerToken} <token>, ` +
                 `or ${GATE_SECRET_KEYS.headers} '{"Authorization": "Basic ..."}'` });
    } else if (parsed.search || parsed.hash) {
        problems.push({ key, value: url, message: "has a query or fragment", fix: "give the base URL only; the gate appends /api/v1/query" });
    }
}

function checkUserChecks(checks: RawGate["checks"], problems: GateProblem[]): UserCheck[] {
    const seen = new Set<string>();
    return (checks ?? []).map((c, i) => {
        const key = `healthGate.checks[${i}]`;
        if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(c.name)) {
            problems.push({ key: `${key}.name`, value: c.name, message: "is not a check name", fix: "use letters, digits, '-' and '_', starting with a letter, e.g. checkout-availability" });
        } else if (seen.has(c.name) || (BUILTIN_NAMES as string[]).includes(c.name)) {
            problems.push({ key: `${key}.name`, value: c.name, message: "is already the name of another check", fix: "give each check its own name" });
        }
        seen.add(c.name);
        const unknown = placeholdersOf(c.query).filter(p => !(p in USER_PLACEHOLDERS));
        if (unknown.length > 0) {
            problems.push({ key: `${key}.query`, value: c.query, message: `uses {${unknown.join("}, {")}}, which the gate does not fill`,
                fix: `use only ${Object.keys(USER_PLACEHOLDERS).map(p => `{${p}}`).join(", ")} (a literal brace in a regex: write it as \\\\{)` });
        }
        for (const [retired, instead] of Object.entries(RETIRED_METRICS)) {
            if (new RegExp(`\\b${retired}\\b`).test(c.query)) {
                problems.push({ key: `${key}.query`, value: c.query, message: `reads ${retired}, which only old Istio code exports (no supported version has it)`,
                    fix: `read ${instead} instead` });
            }
        }
        if (c.query.trim() === "") {
            problems.push({ key: `${key}.query`, value: c.query, message: "is empty", fix: `write a PromQL query, e.g. sum(rate(istio_requests_total{destination_workload_namespace="{namespace}"}[{window}]))` });
        }
        return { name: c.name, query: c.query, comparison: c.comparison, threshold: c.threshold };
    });
}

function checkBuiltins(raw: RawGate, problems: GateProblem[]): Record<BuiltinName, BuiltinSettings> {
    const settings = defaultBuiltins();
    for (const name of BUILTIN_NAMES) {
        const given = raw[BUILTINS[name].group]?.[name] ?? {};
        const s = { ...settings[name], ...given, enabled: given.enabled ?? true };
        if (s.max !== undefined && s.max < 0) {
            problems.push({ key: builtinKey(name, "max"), value: s.max, message: "is negative", fix: "use 0 or more" });
        }
        if (s.margin !== undefined && s.margin < 0) {
            problems.push({ key: builtinKey(name, "margin"), value: s.margin, message: "is negative", fix: "use 0 (no worse than before) or more" });
        }
        if (s.factor !== undefined && s.factor < 1) {
            problems.push({ key: builtinKey(name, "factor"), value: s.factor, message: "is under 1, so an unchanged mesh would fail", fix: "use 1 (no worse than before) or more, e.g. 1.5" });
        }
        settings[name] = s;
    }
    return settings;
}

/**
 * The section, validated; undefined when it is not set. `secrets` holds RawConfig's markers for the secret keys
 * (GATE_SECRET), never their values.
 */
export function parseHealthGate(raw: RawGate | undefined, secrets: Readonly<Record<string, unknown>> = {}): { gate?: HealthGateSpec; problems: GateProblem[] } {
    const problems: GateProblem[] = [];
    const unset = raw === undefined || Object.keys(raw).length === 0;
    for (const key of Object.values(GATE_SECRET_KEYS)) {
        const marker = secrets[key];
        if (marker === GATE_SECRET.plain) {
            problems.push({ key, value: "[plain text, not shown]", message: "is set in plain text: it would be stored and shown unencrypted",
                fix: `set it as a secret: pulumi config set --secret ${key} ...` });
        } else if (marker === GATE_SECRET.notHeaders) {
            problems.push({ key, value: "[secret]", message: "is not a JSON map of header names to text values", fix: `e.g. pulumi config set --secret ${key} '{"X-Scope-OrgID": "mesh"}'` });
        } else if (marker !== undefined && unset) {
            problems.push({ key, value: "[secret]", message: "is set, but healthGate is not", fix: "set healthGate.prometheus.url too, or remove it" });
        }
    }
    if (unset) {
        return { problems };
    }
    checkUrl(raw.prometheus?.url, problems);
    const bake = raw.bake ?? GATE_DEFAULTS.bake;
    const window = raw.window ?? GATE_DEFAULTS.window;
    const bakeMs = parseDuration(bake, { zero: true });
    const windowMs = parseDuration(window);
    if (bakeMs === undefined) {
        problems.push({ key: "healthGate.bake", value: bake, message: "is not a duration", fix: `write e.g. "2m", "90s" or "5m" ("0s": check at once)` });
    }
    if (windowMs === undefined || /ms$/.test(window)) {
        problems.push({ key: "healthGate.window", value: window, message: "is not a duration of whole seconds", fix: `write e.g. "1m" or "30s"` });
    } else if (bakeMs !== undefined && bakeMs > 0 && windowMs > bakeMs) {
        problems.push({ key: "healthGate.window", value: window, message: `is longer than healthGate.bake (${bake}), so the rates at the end of the bake would still count traffic from before the change`,
            fix: `make it at most the bake, e.g. window: ${bake}, or bake longer` });
    }
    const istiodSelector = raw.istiodSelector ?? DEFAULT_ISTIOD_SELECTOR;
    if (!istiodSelector.includes("{revision}")) {
        problems.push({ key: "healthGate.istiodSelector", value: istiodSelector, message: "does not tell the revisions apart (no {revision})",
            fix: `label matchers that select one revision's istiods, e.g. ${DEFAULT_ISTIOD_SELECTOR}` });
    }
    const builtins = checkBuiltins(raw, problems);
    const checks = checkUserChecks(raw.checks, problems);
    if (problems.length > 0) {
        return { problems };
    }
    return {
        gate: {
            url: raw.prometheus!.url!.replace(/\/+$/, ""), ...(raw.prometheus?.caFile ? { caFile: raw.prometheus.caFile } : {}),
            bake, bakeMs: bakeMs!, window, onNoData: raw.onNoData ?? GATE_DEFAULTS.onNoData, istiodSelector, builtins, checks,
        },
        problems,
    };
}
