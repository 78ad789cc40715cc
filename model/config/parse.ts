/**
 * Stack config -> a validated MeshSpec. Pure: no Pulumi calls, so every rule is unit-tested and bad config
 * fails before any resource is registered. The schema checks shape first (check.ts); the parsers give meaning
 * to the sections whose shape is right, so every problem of a config is listed at once.
 */
import { compareVersions, DEFAULT_ISTIO_NAMESPACE, isDnsLabel } from "../../istio";
import { parseDuration } from "../duration";
import { GATE_SECRET_KEYS, parseHealthGate } from "../gate/config";
import { parsePromotion } from "../promotion";
import { parseRollout } from "./rollout";
import { checkAmbientCni, parseAmbient } from "./ambient";
import { checkShape } from "./check";
import { DEFAULTS } from "./defaults";
import { checkPlacement, checkRenderDirectory, Placement } from "./live";
import { Collector, MeshConfigError } from "./problems";
import { CREDENTIALS_KEY } from "./raw";
import { checkInPlaceChanges, parseRevisions, parseTags, rawIndex } from "./revisions";
import { parseCharts, parseCni, parseImages } from "./sources";
import { Disk, MeshSpec, PreviousState, RawConfig } from "./spec";
import { checkOwnedValues } from "./values";
import { parseGateways, parseNamespaces, Targets } from "./workloads";
import { parseGatewayApi } from "./gatewayApi";

function checkTimeout(c: Collector, key: string, timeout: string): void {
    if (parseDuration(timeout) === undefined) {
        c.add(key, timeout, "is not a positive kubectl duration", `write e.g. "30s", "2m30s" or "1h30m" (units h, m, s, ms)`);
    }
}

/**
 * Validates raw stack config into a MeshSpec. `previous` (the last recorded state) enables the checks that
 * depend on what runs now: in-place version jumps, references to revisions being retired, and placement changes.
 * `hasCredentials` says whether the secret `registryCredentials` is set (rawConfigFromPulumi also marks it in raw).
 * `disk` lets the checks of paths (charts.localDir, renderDirectory) look at what is there; without it they read the
 * text only. Throws MeshConfigError listing every problem.
 */
export function parseMeshConfig(raw: RawConfig, previous?: PreviousState, hasCredentials = false, disk?: Disk): MeshSpec {
    const c = new Collector();
    // From here on, the config as checked: null fields left out, so no parser meets a null.
    const { good: ok, config } = checkShape(c, raw);
    const section = <T>(key: string): T => (ok.has(key) ? config[key] ?? {} : {}) as T;
    const text = (key: string): string | undefined => (ok.has(key) && config[key] !== "" ? config[key] as string | undefined : undefined);

    const istioNamespace = text("istioNamespace") ?? DEFAULT_ISTIO_NAMESPACE;
    if (!isDnsLabel(istioNamespace)) {
        c.add("istioNamespace", istioNamespace, "is not a valid namespace name", `use e.g. ${DEFAULT_ISTIO_NAMESPACE}`);
    }
    const kubernetesVersion = text("kubernetesVersion");
    if (kubernetesVersion !== undefined && !/^v?\d+\.\d+(\.\d+)?$/.test(kubernetesVersion)) {
        c.add("kubernetesVersion", kubernetesVersion, "is not a Kubernetes version", `write the cluster's minor, e.g. "1.33"`);
    }
    // Everything that names a revision is judged only once the revisions themselves are readable.
    const rawRevisions = ok.has("revisions") ? config.revisions as unknown[] : undefined;
    const rawGateways = ok.has("gateways") ? (config.gateways ?? []) as Record<string, unknown>[] : [];
    const revisions = rawRevisions ? parseRevisions(c, rawRevisions) : [];
    if (rawRevisions) {
        checkInPlaceChanges(c, rawRevisions, revisions, previous);
    }
    const retired = Object.keys(previous?.revisions ?? {}).filter(name => !revisions.some(r => r.name === name));
    const tags = rawRevisions ? parseTags(c, section("tags"), revisions) : [];
    const targets: Targets = { revisions, tags, retired };
    const namespaces = rawRevisions ? parseNamespaces(c, section("namespaces"), istioNamespace, targets) : [];
    const gateways = rawRevisions ? parseGateways(c, rawGateways, istioNamespace, targets) : [];
    const ambient = rawRevisions && ok.has("ambient")
        ? parseAmbient(c, section("ambient"), revisions, tags, namespaces, istioNamespace, previous) : undefined;
    const cni = parseCni(c, section("cni"), istioNamespace, revisions, ambient?.ztunnel.version);
    if (ambient && !cni && section<Record<string, unknown>>("cni").enabled !== true) {
        c.add("cni.enabled", section<Record<string, unknown>>("cni").enabled, "is not true, but ambient mode needs istio-cni (it redirects the ambient pods' traffic to ztunnel)",
            "set cni.enabled: true (istio-cni then follows ztunnel's version)");
    }
    // An unset cni.version follows ztunnel, whose skew is checked already.
    if (ambient && cni && section<Record<string, unknown>>("cni").version !== undefined) {
        checkAmbientCni(c, cni.version, ambient, revisions);
    }
    const managedNamespaces = new Set([istioNamespace, ...namespaces.map(n => n.name), ...gateways.map(g => g.namespace), ...(cni ? [cni.namespace] : []), ...(ambient?.namespaces ?? [])]);
    const gatewayApi = rawRevisions
        ? parseGatewayApi(c, section("gatewayApi"), { istioNamespace, managedNamespaces, helmGateways: gateways, targets, disk })
        : { gateways: [] };
    gatewayApi.gateways.forEach(g => {
        if (g.waypointFor && !ambient) {
            const i = (section<{ gateways?: { name?: string; namespace?: string }[] }>("gatewayApi").gateways ?? []).findIndex(e => e.name === g.name && e.namespace === g.namespace);
            c.add(`gatewayApi.gateways[${i}].className`, g.className, "is a waypoint's, but ambient mode is off: no ztunnel sends traffic through it",
                "set ambient.enabled: true (and enrol its namespace in ambient.namespaces), or use className istio");
        }
    });
    // The versions the config runs: those of the revisions (and gateways, which run their revision's) and CNI.
    const versions = [...new Set([...revisions.map(r => r.version), ...(cni ? [cni.version] : []), ...(ambient ? [ambient.ztunnel.version] : [])])].sort(compareVersions);
    const charts = parseCharts(c, section("charts"), versions, disk);
    const { images, pullSecretName } = parseImages(c, section("registry"), versions, config[CREDENTIALS_KEY], hasCredentials);
    checkOwnedValues(c, { istioNamespace, images, cni },
        revisions.map(r => [r, `revisions[${rawIndex(rawRevisions!, r)}]`]),
        gateways.map(g => [g, `gateways[${rawGateways.findIndex(e => e.name === g.name && (e.namespace ?? istioNamespace) === g.namespace)}]`]),
        cni);
    const renderDirectory = text("renderDirectory");
    checkRenderDirectory(c, renderDirectory, disk);
    const restartTimeout = text("restartTimeout") ?? DEFAULTS.restartTimeout;
    checkTimeout(c, "restartTimeout", restartTimeout);
    const kubernetes = section<{ kubeconfig?: string; context?: string; adoptExisting?: boolean; requestTimeout?: string }>("kubernetes");
    const requestTimeout = kubernetes.requestTimeout || DEFAULTS.requestTimeout;
    checkTimeout(c, "kubernetes.requestTimeout", requestTimeout);
    if (kubernetes.kubeconfig && /\n|^\s*(apiVersion|\{)/.test(kubernetes.kubeconfig)) {
        // Shown as (content): it may hold credentials.
        c.add("kubernetes.kubeconfig", "(content)", "holds a kubeconfig's content, but the kubectl steps need a file",
            "write it to a file and set its path: pulumi config set --path kubernetes.kubeconfig ~/.kube/prod (add --secret to keep the path secret)");
    }
    const placement: Placement = { istioNamespace, renderDirectory: renderDirectory ?? "", context: kubernetes.context ?? "" };
    checkPlacement(c, placement, previous, section("acknowledge"), config.decommission === true);
    const { promotion, problems: promotionProblems } = parsePromotion(section("promotion"));
    c.problems.push(...promotionProblems);
    const { rollout, problems: rolloutProblems } = parseRollout(ok.has("rollout") ? section("rollout") : undefined);
    rolloutProblems.forEach(p => c.add(p.key, p.value, p.message, p.fix));
    const gateSecrets = Object.fromEntries(Object.values(GATE_SECRET_KEYS).filter(k => ok.has(k) && config[k] !== undefined).map(k => [k, config[k]]));
    const { gate: healthGate, problems: gateProblems } = parseHealthGate(ok.has("healthGate") ? section("healthGate") : undefined, gateSecrets);
    gateProblems.forEach(p => c.add(p.key, p.value, p.message, p.fix));

    if (c.problems.length > 0) {
        throw new MeshConfigError(c.problems);
    }
    return {
        istioNamespace, kubernetesVersion, images, pullSecretName, charts, revisions, tags, namespaces, gateways, gatewayApi, cni, ...(ambient ? { ambient } : {}),
        renderDirectory, restartTimeout, kubernetes: {
            kubeconfig: kubernetes.kubeconfig || undefined, context: kubernetes.context || undefined, adoptExisting: kubernetes.adoptExisting === true,
            requestTimeout,
        },
        placement, rollout, decommission: config.decommission === true, ...(promotion ? { promotion } : {}), advisories: c.advisories,
        ...(healthGate ? { healthGate } : {}),
    };
}
