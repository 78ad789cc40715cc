/**
 * Stack config -> a validated MeshSpec. Pure: no Pulumi calls, so every rule is unit-tested and bad config
 * fails before any resource is registered.
 *
 * Every problem names the config key (as `pulumi config set --path` spells it), the value, and the fix.
 */
import {
    checkInPlaceChange, compareVersions, DEFAULT_CHART_REPOSITORY, DEFAULT_ISTIO_NAMESPACE, DEFAULT_TAG, ImageSettings, isDnsLabel,
    parseVersion, revisionNameForVersion, SERVICE_TYPES, ServiceType,
} from "../istio";
import { parsePromotion, PromotionSpec } from "./promotion";

/** The project's config namespace: keys are `istio-mesh:<key>`. */
export const CONFIG_NAMESPACE = "istio-mesh";

export interface RevisionSpec {
    /** The revision name: istiod-<name>, istio.io/rev=<name>. */
    readonly name: string;
    /** Exact Istio version. */
    readonly version: string;
    /** Chart value overrides for this revision's istiod. */
    readonly values: Record<string, unknown>;
}

export interface TagSpec {
    readonly name: string;
    /** The revision the tag points to (tags point at revisions, never at tags). */
    readonly revision: string;
}

export interface NamespaceSpec {
    readonly name: string;
    /** The revision or tag written on the namespace as istio.io/rev. */
    readonly target: string;
}

export interface GatewaySpec {
    readonly name: string;
    readonly namespace: string;
    /** The revision or tag that injects the gateway. */
    readonly target: string;
    readonly serviceType: ServiceType;
    readonly replicas: number;
    readonly podDisruptionBudget?: { minAvailable?: number | string; maxUnavailable?: number | string };
    readonly values: Record<string, unknown>;
}

export interface CniSpec {
    readonly version: string;
    readonly chained: boolean;
    readonly namespace: string;
    readonly values: Record<string, unknown>;
}

export type Renderer = "helm" | "istioctl";

export interface ChartSourceSpec {
    readonly renderer: Renderer;
    /** Helm repository: oci://... or https://... */
    readonly repository: string;
    /** A local directory per version holding base/, istiod/, gateway/, cni/; `{version}` is replaced. */
    readonly localDir?: string;
    /** Path to istioctl of each version for the istioctl renderer; `{version}` is replaced. */
    readonly istioctl?: string;
}

export interface MeshSpec {
    readonly istioNamespace: string;
    readonly kubernetesVersion?: string;
    readonly images: ImageSettings;
    /** Name of the pull secret the program creates from the `registryCredentials` secret, if any. */
    readonly pullSecretName?: string;
    readonly charts: ChartSourceSpec;
    readonly revisions: readonly RevisionSpec[];
    readonly tags: readonly TagSpec[];
    readonly namespaces: readonly NamespaceSpec[];
    readonly gateways: readonly GatewaySpec[];
    readonly cni?: CniSpec;
    /** Render mode: write manifests here instead of applying them to a cluster. */
    readonly renderDirectory?: string;
    /** How long a restart waits for each workload's rollout (kubectl duration). */
    readonly restartTimeout: string;
    readonly kubernetes: { readonly kubeconfig?: string; readonly context?: string };
    /** The stack this one is promoted from, and the soak (model/promotion.ts). */
    readonly promotion?: PromotionSpec;
}

/** One config problem. */
export interface ConfigProblem {
    /** Full key, e.g. `istio-mesh:revisions[1].version`. */
    readonly key: string;
    readonly value: unknown;
    readonly message: string;
    readonly fix: string;
}

/** Thrown when config is invalid; its message lists every problem. */
export class MeshConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "MeshConfigError";
    }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
    const lines = problems.map(p => `  - ${p.key} = ${show(p.value)}: ${p.message}. Fix: ${p.fix}.`);
    return `invalid istio-mesh stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

function show(value: unknown): string {
    if (value === undefined) {
        return "(unset)";
    }
    return JSON.stringify(value);
}

/** The raw stack config, as read from Pulumi config (structured values already parsed from YAML). */
export type RawConfig = Record<string, unknown>;

const KNOWN_KEYS = [
    "istioNamespace", "kubernetesVersion", "registry", "charts", "revisions", "tags", "namespaces", "gateways",
    "cni", "renderDirectory", "restartTimeout", "kubernetes", "promotion",
];

/** Namespaces that are never application namespaces. */
const SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"];

const DURATION = /^\d+(ms|s|m|h)$/;

class Collector {
    readonly problems: ConfigProblem[] = [];
    /** Revisions and tags already reported as broken: references to them are not reported again. */
    readonly broken = new Set<string>();
    add(key: string, value: unknown, message: string, fix: string): void {
        this.problems.push({ key: `${CONFIG_NAMESPACE}:${key}`, value, message, fix });
    }
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function optionalString(c: Collector, key: string, v: unknown): string | undefined {
    if (v === undefined || v === null || v === "") {
        return undefined;
    }
    if (typeof v !== "string") {
        c.add(key, v, "must be a string", `set ${key} to a text value`);
        return undefined;
    }
    return v;
}

function objectOr(c: Collector, key: string, v: unknown): Record<string, unknown> {
    if (v === undefined || v === null) {
        return {};
    }
    if (!isObject(v)) {
        c.add(key, v, "must be a map", `write ${key} as a YAML map`);
        return {};
    }
    return v;
}

function parseRevisions(c: Collector, raw: unknown, istioNamespace: string): RevisionSpec[] {
    if (!Array.isArray(raw) || raw.length === 0) {
        c.add("revisions", raw, "at least one revision is required",
            `add a list, e.g. revisions: [{version: 1.30.2}] (the name defaults to "1-30")`);
        return [];
    }
    const revisions: RevisionSpec[] = [];
    const byName = new Map<string, number>();
    const byVersion = new Map<string, number>();
    raw.forEach((entry, i) => {
        const key = `revisions[${i}]`;
        if (!isObject(entry)) {
            c.add(key, entry, "must be a map with `version` (and optionally `name`, `values`)",
                `write it as {name: 1-30, version: 1.30.2}`);
            return;
        }
        const version = parseVersion(String(entry.version ?? ""));
        if (!version || typeof entry.version !== "string" || !/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(entry.version)) {
            c.add(`${key}.version`, entry.version, "is not an exact Istio version x.y.z",
                `write the full release, e.g. "1.30.2" (quoted in YAML)`);
            const loose = /^v?(\d+)\.(\d+)/.exec(String(entry.version ?? ""));
            c.broken.add(typeof entry.name === "string" ? entry.name : loose ? `${loose[1]}-${loose[2]}` : "");
            return;
        }
        let name: string;
        if (entry.name === undefined || entry.name === null || entry.name === "") {
            name = revisionNameForVersion(version.raw);
        } else if (typeof entry.name !== "string") {
            c.add(`${key}.name`, entry.name, "must be a string", `use a name such as "1-30" or "stable"`);
            return;
        } else {
            name = entry.name;
        }
        if (name.includes(".")) {
            c.add(`${key}.name`, name, "revision names may not contain dots (Istio derives object names from them)",
                `use "${name.replace(/\./g, "-")}"`);
            return;
        }
        if (name === DEFAULT_TAG) {
            c.add(`${key}.name`, name, `"${DEFAULT_TAG}" is the default tag, not a revision name`,
                `name the revision after its version ("${revisionNameForVersion(version.raw)}") or e.g. "stable", and point tags.default at it`);
            return;
        }
        if (!isDnsLabel(name)) {
            c.add(`${key}.name`, name, "is not a valid Kubernetes name (lowercase letters, digits and '-')",
                `use e.g. "${revisionNameForVersion(version.raw)}"`);
            return;
        }
        if (byName.has(name)) {
            c.add(`${key}.name`, name, `duplicates revisions[${byName.get(name)}] (a name defaults to its version's minor)`,
                `give one of them another name, or remove it`);
            return;
        }
        if (byVersion.has(version.raw)) {
            c.add(`${key}.version`, version.raw, `duplicates revisions[${byVersion.get(version.raw)}].version`,
                `two control planes of the same version serve no upgrade: remove one`);
            return;
        }
        byName.set(name, i);
        byVersion.set(version.raw, i);
        const values = objectOr(c, `${key}.values`, entry.values);
        const ns = (values.global as Record<string, unknown> | undefined)?.istioNamespace;
        if (ns !== undefined && ns !== istioNamespace) {
            c.add(`${key}.values.global.istioNamespace`, ns, "conflicts with istio-mesh:istioNamespace",
                `remove it and set istio-mesh:istioNamespace instead`);
        }
        revisions.push({ name, version: version.raw, values });
    });
    return revisions;
}

function parseTags(c: Collector, raw: unknown, revisions: readonly RevisionSpec[]): TagSpec[] {
    const tags: TagSpec[] = [];
    const names = revisions.map(r => r.name);
    for (const [tag, target] of Object.entries(objectOr(c, "tags", raw))) {
        const key = `tags.${tag}`;
        if (!isDnsLabel(tag)) {
            c.add(key, tag, "tag names must be valid Kubernetes names (lowercase letters, digits and '-')",
                `rename the tag, e.g. "prod-stable"`);
            continue;
        }
        if (names.includes(tag)) {
            c.broken.add(tag);
            c.add(key, target, `tag "${tag}" has the name of a revision; Istio cannot tell them apart`,
                `rename the tag (e.g. "${tag}-tag") or the revision`);
            continue;
        }
        if (typeof target === "string" && c.broken.has(target)) {
            c.broken.add(tag);
            continue;
        }
        if (typeof target !== "string" || !names.includes(target)) {
            c.broken.add(tag);
            c.add(key, target, "does not name a revision of this stack (tags point at revisions, not at tags)",
                `use one of: ${names.join(", ") || "(no revisions)"}`);
            continue;
        }
        tags.push({ name: tag, revision: target });
    }
    return tags;
}

function targetProblem(c: Collector, key: string, target: unknown, revisions: readonly RevisionSpec[],
                       tags: readonly TagSpec[], retired: readonly string[], what: string): boolean {
    const valid = [...revisions.map(r => r.name), ...tags.map(t => t.name)];
    if (typeof target === "string" && valid.includes(target)) {
        return false;
    }
    if (typeof target === "string" && c.broken.has(target)) {
        return true;
    }
    if (typeof target === "string" && retired.includes(target)) {
        c.add(key, target, `${what} still uses revision "${target}", which this config retires`,
            `move it to one of ${valid.join(", ")} first (and let it restart), then retire "${target}" in a later step`);
        return true;
    }
    c.add(key, target, `is not a revision or tag of this stack`,
        `use one of: ${valid.join(", ") || "(none)"}, or add revision "${target}" to istio-mesh:revisions`);
    return true;
}

function parseNamespaces(c: Collector, raw: unknown, istioNamespace: string, revisions: readonly RevisionSpec[],
                         tags: readonly TagSpec[], retired: readonly string[]): NamespaceSpec[] {
    const namespaces: NamespaceSpec[] = [];
    for (const [name, target] of Object.entries(objectOr(c, "namespaces", raw))) {
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
        if (targetProblem(c, key, target, revisions, tags, retired, `namespace ${name}`)) {
            continue;
        }
        namespaces.push({ name, target: target as string });
    }
    return namespaces;
}

function parsePdb(c: Collector, key: string, raw: unknown, replicas: number): GatewaySpec["podDisruptionBudget"] {
    if (raw === undefined || raw === null) {
        return undefined;
    }
    if (!isObject(raw) || (raw.minAvailable === undefined) === (raw.maxUnavailable === undefined)) {
        c.add(key, raw, "must set exactly one of minAvailable and maxUnavailable", "e.g. podDisruptionBudget: {minAvailable: 1}");
        return undefined;
    }
    if (replicas < 2) {
        c.add(key, raw, `a PodDisruptionBudget with ${replicas} replica blocks every node drain (the chart renders none)`,
            "set replicas to 2 or more, or remove podDisruptionBudget");
        return undefined;
    }
    return raw.minAvailable !== undefined
        ? { minAvailable: raw.minAvailable as number | string }
        : { maxUnavailable: raw.maxUnavailable as number | string };
}

function parseGateways(c: Collector, raw: unknown, istioNamespace: string, revisions: readonly RevisionSpec[],
                       tags: readonly TagSpec[], retired: readonly string[]): GatewaySpec[] {
    if (raw === undefined || raw === null) {
        return [];
    }
    if (!Array.isArray(raw)) {
        c.add("gateways", raw, "must be a list", "write gateways as a YAML list of {name, namespace, revision}");
        return [];
    }
    const gateways: GatewaySpec[] = [];
    const seen = new Map<string, number>();
    raw.forEach((entry, i) => {
        const key = `gateways[${i}]`;
        if (!isObject(entry)) {
            c.add(key, entry, "must be a map", "write it as {name: ingress, namespace: istio-ingress, revision: default}");
            return;
        }
        const name = entry.name;
        if (typeof name !== "string" || !isDnsLabel(name)) {
            c.add(`${key}.name`, name, "is required and must be a valid Kubernetes name", `e.g. name: istio-ingressgateway`);
            return;
        }
        const namespace = entry.namespace ?? istioNamespace;
        if (typeof namespace !== "string" || !isDnsLabel(namespace)) {
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
        if (targetProblem(c, `${key}.revision`, entry.revision, revisions, tags, retired, `gateway ${id}`)) {
            return;
        }
        const serviceType = entry.serviceType ?? "LoadBalancer";
        if (!SERVICE_TYPES.includes(serviceType as ServiceType)) {
            c.add(`${key}.serviceType`, serviceType, "is not a Service type", `use one of ${SERVICE_TYPES.join(", ")}`);
            return;
        }
        const replicas = entry.replicas ?? 2;
        if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 1) {
            c.add(`${key}.replicas`, replicas, "must be a whole number of at least 1", "e.g. replicas: 2");
            return;
        }
        const pdb = parsePdb(c, `${key}.podDisruptionBudget`, entry.podDisruptionBudget, replicas);
        gateways.push({
            name, namespace, target: entry.revision as string, serviceType: serviceType as ServiceType, replicas,
            podDisruptionBudget: pdb, values: objectOr(c, `${key}.values`, entry.values),
        });
    });
    return gateways;
}

function parseCni(c: Collector, raw: unknown, istioNamespace: string, revisions: readonly RevisionSpec[]): CniSpec | undefined {
    const cni = objectOr(c, "cni", raw);
    if (cni.enabled !== true) {
        if (cni.enabled !== undefined && cni.enabled !== false) {
            c.add("cni.enabled", cni.enabled, "must be true or false", "write cni.enabled: true");
        }
        return undefined;
    }
    let version: string | undefined;
    if (cni.version === undefined) {
        // CNI must not be newer than any control plane: follow the oldest one.
        version = revisions.map(r => r.version).sort(compareVersions)[0];
    } else if (typeof cni.version === "string" && parseVersion(cni.version)) {
        version = parseVersion(cni.version)!.raw;
    } else {
        c.add("cni.version", cni.version, "is not an exact Istio version x.y.z", `write e.g. "1.30.2", or remove it to follow the oldest revision`);
    }
    if (cni.chained !== undefined && typeof cni.chained !== "boolean") {
        c.add("cni.chained", cni.chained, "must be true or false", "true chains onto the cluster's CNI plugin");
    }
    const namespace = optionalString(c, "cni.namespace", cni.namespace) ?? istioNamespace;
    if (!version) {
        return undefined;
    }
    return { version, chained: cni.chained !== false, namespace, values: objectOr(c, "cni.values", cni.values) };
}

function parseCharts(c: Collector, raw: unknown): ChartSourceSpec {
    const charts = objectOr(c, "charts", raw);
    const renderer = charts.renderer ?? "helm";
    if (renderer !== "helm" && renderer !== "istioctl") {
        c.add("charts.renderer", renderer, "is not a renderer", `use "helm" (official charts) or "istioctl" (istioctl manifest generate)`);
    }
    const repository = optionalString(c, "charts.repository", charts.repository) ?? DEFAULT_CHART_REPOSITORY;
    if (!/^(oci|https?):\/\//.test(repository)) {
        c.add("charts.repository", repository, "is not an oci:// or http(s):// repository",
            `use ${DEFAULT_CHART_REPOSITORY}, your mirror, or set charts.localDir for charts on disk`);
    }
    const localDir = optionalString(c, "charts.localDir", charts.localDir);
    const istioctl = optionalString(c, "charts.istioctl", charts.istioctl);
    if (renderer === "istioctl" && !istioctl) {
        c.add("charts.istioctl", istioctl, "the istioctl renderer needs the istioctl binary of each version",
            `set charts.istioctl to a path with {version}, e.g. /opt/istio-{version}/bin/istioctl`);
    }
    return { renderer: renderer as Renderer, repository, localDir, istioctl };
}

function parseImages(c: Collector, raw: unknown, hasCredentials: boolean): { images: ImageSettings; pullSecretName?: string } {
    const registry = objectOr(c, "registry", raw);
    const hub = optionalString(c, "registry.hub", registry.hub);
    const tag = optionalString(c, "registry.tag", registry.tag);
    let secrets: string[] = [];
    if (registry.imagePullSecrets !== undefined) {
        if (!Array.isArray(registry.imagePullSecrets) || !registry.imagePullSecrets.every(s => typeof s === "string" && isDnsLabel(s))) {
            c.add("registry.imagePullSecrets", registry.imagePullSecrets, "must be a list of Secret names",
                "e.g. imagePullSecrets: [registry-credentials]; put credentials in the secret istio-mesh:registryCredentials");
        } else {
            secrets = registry.imagePullSecrets as string[];
        }
    }
    let pullSecretName: string | undefined;
    if (hasCredentials) {
        pullSecretName = optionalString(c, "registry.pullSecretName", registry.pullSecretName) ?? "istio-registry-credentials";
        if (!secrets.includes(pullSecretName)) {
            secrets = [...secrets, pullSecretName];
        }
    }
    return { images: { hub, tag, imagePullSecrets: secrets }, pullSecretName };
}

/** What was deployed by the previous `up` of this stack, as recorded in its `meshState` output. */
export interface PreviousState {
    readonly revisions: Readonly<Record<string, { version: string; upgradedFrom?: string }>>;
}

function checkInPlaceChanges(c: Collector, raw: unknown, revisions: readonly RevisionSpec[], previous?: PreviousState): void {
    revisions.forEach(revision => {
        const before = previous?.revisions[revision.name];
        if (!before || before.version === revision.version) {
            return;
        }
        const verdict = checkInPlaceChange(before.version, revision.version);
        if (!verdict.ok) {
            const i = (raw as unknown[]).findIndex(e => isObject(e) && parseVersion(String(e.version))?.raw === revision.version);
            c.add(`revisions[${i}].version`, revision.version,
                `revision "${revision.name}" runs ${before.version} now: ${verdict.reason.split(";")[0]}`,
                `keep revisions[${i}] at ${before.version} and add a new revision {version: ${revision.version}} ` +
                `(name "${revisionNameForVersion(revision.version)}"), then move namespaces to it (canary upgrade)`);
        }
    });
}

/**
 * Validates raw stack config into a MeshSpec. `previous` (the last recorded state) enables the checks that
 * depend on what runs now: in-place version jumps and references to revisions being retired.
 * `hasCredentials` says whether the secret `registryCredentials` is set.
 * Throws MeshConfigError listing every problem.
 */
export function parseMeshConfig(raw: RawConfig, previous?: PreviousState, hasCredentials = false): MeshSpec {
    const c = new Collector();
    for (const key of Object.keys(raw)) {
        if (!KNOWN_KEYS.includes(key)) {
            c.add(key, raw[key], "is not a setting of this program", `remove it or use one of: ${KNOWN_KEYS.join(", ")}`);
        }
    }
    const istioNamespace = optionalString(c, "istioNamespace", raw.istioNamespace) ?? DEFAULT_ISTIO_NAMESPACE;
    if (!isDnsLabel(istioNamespace)) {
        c.add("istioNamespace", istioNamespace, "is not a valid namespace name", `use e.g. ${DEFAULT_ISTIO_NAMESPACE}`);
    }
    const kubernetesVersion = optionalString(c, "kubernetesVersion", raw.kubernetesVersion);
    if (kubernetesVersion !== undefined && !/^v?\d+\.\d+(\.\d+)?$/.test(kubernetesVersion)) {
        c.add("kubernetesVersion", kubernetesVersion, "is not a Kubernetes version", `write the cluster's minor, e.g. "1.33"`);
    }
    const revisions = parseRevisions(c, raw.revisions, istioNamespace);
    checkInPlaceChanges(c, raw.revisions, revisions, previous);
    const retired = Object.keys(previous?.revisions ?? {}).filter(name => !revisions.some(r => r.name === name));
    const tags = parseTags(c, raw.tags, revisions);
    const namespaces = parseNamespaces(c, raw.namespaces, istioNamespace, revisions, tags, retired);
    const gateways = parseGateways(c, raw.gateways, istioNamespace, revisions, tags, retired);
    const cni = parseCni(c, raw.cni, istioNamespace, revisions);
    const charts = parseCharts(c, raw.charts);
    const { images, pullSecretName } = parseImages(c, raw.registry, hasCredentials);
    const renderDirectory = optionalString(c, "renderDirectory", raw.renderDirectory);
    const restartTimeout = optionalString(c, "restartTimeout", raw.restartTimeout) ?? "5m";
    if (!DURATION.test(restartTimeout)) {
        c.add("restartTimeout", restartTimeout, "is not a duration", `write e.g. "5m" or "300s"`);
    }
    const kubernetes = objectOr(c, "kubernetes", raw.kubernetes);
    const kubeconfig = optionalString(c, "kubernetes.kubeconfig", kubernetes.kubeconfig);
    const context = optionalString(c, "kubernetes.context", kubernetes.context);
    const { promotion, problems: promotionProblems } = parsePromotion(raw.promotion);
    c.problems.push(...promotionProblems);

    if (c.problems.length > 0) {
        throw new MeshConfigError(c.problems);
    }
    return {
        istioNamespace, kubernetesVersion, images, pullSecretName, charts, revisions, tags, namespaces, gateways, cni,
        renderDirectory, restartTimeout, kubernetes: { kubeconfig, context }, ...(promotion ? { promotion } : {}),
    };
}

/** The secret config key holding registry credentials (a dockerconfigjson): never part of RawConfig. */
export const CREDENTIALS_KEY = "registryCredentials";

/**
 * This program's keys from Pulumi's flat config map (`istio-mesh:revisions` -> `revisions`), maps and lists
 * parsed from their JSON text. The credentials key is left out: its value is a secret and only its presence matters.
 */
export function rawConfigFromPulumi(all: Record<string, string>): { raw: RawConfig; hasCredentials: boolean } {
    const raw: RawConfig = {};
    let hasCredentials = false;
    for (const [fullKey, text] of Object.entries(all)) {
        if (!fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) {
            continue;
        }
        const key = fullKey.slice(CONFIG_NAMESPACE.length + 1);
        if (key === CREDENTIALS_KEY) {
            hasCredentials = text !== "";
            continue;
        }
        // Maps and lists arrive as JSON text; scalars are plain text ("1.33" is a version, not a number).
        raw[key] = /^\s*[[{]/.test(text) ? JSON.parse(text) : text;
    }
    return { raw, hasCredentials };
}
