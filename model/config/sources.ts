/** Where Istio comes from: charts and renderer, images and pull secrets, and istio-cni. */
import { compareVersions, DEFAULT_CHART_REPOSITORY, ImageSettings, isDnsLabel, parseVersion } from "../../istio";
import { DEFAULTS } from "./defaults";
import { CREDENTIALS, CREDENTIALS_KEY } from "./raw";
import { Collector } from "./problems";
import { ChartSourceSpec, CniSpec, Renderer, RevisionSpec } from "./spec";

/** Reads a text key whose empty value means unset. */
function text(v: unknown): string | undefined {
    return v === undefined || v === null || v === "" ? undefined : v as string;
}

export function parseCni(c: Collector, cni: Record<string, unknown>, istioNamespace: string, revisions: readonly RevisionSpec[]): CniSpec | undefined {
    if (cni.enabled !== true) {
        return undefined;
    }
    let version: string | undefined;
    if (cni.version === undefined) {
        // CNI must not be newer than any control plane: follow the oldest one.
        version = revisions.map(r => r.version).sort(compareVersions)[0];
    } else if (parseVersion(cni.version as string)) {
        version = parseVersion(cni.version as string)!.raw;
    } else {
        c.add("cni.version", cni.version, "is not an exact Istio version x.y.z", `write e.g. "1.30.2", or remove it to follow the oldest revision`);
    }
    const namespace = text(cni.namespace) ?? istioNamespace;
    if (!isDnsLabel(namespace)) {
        c.add("cni.namespace", namespace, "is not a valid namespace name", "use e.g. kube-system, or remove it to use the istio namespace");
    }
    if (!version || !isDnsLabel(namespace)) {
        return undefined;
    }
    return { version, chained: cni.chained !== false, namespace, values: (cni.values ?? {}) as Record<string, unknown> };
}

export function parseCharts(c: Collector, charts: Record<string, unknown>): ChartSourceSpec {
    const renderer = (charts.renderer ?? DEFAULTS.renderer) as Renderer;
    const repository = text(charts.repository) ?? DEFAULT_CHART_REPOSITORY;
    if (!/^(oci|https?):\/\//.test(repository)) {
        c.add("charts.repository", repository, "is not an oci:// or http(s):// repository",
            `use ${DEFAULT_CHART_REPOSITORY}, your mirror, or set charts.localDir for charts on disk`);
    }
    const localDir = text(charts.localDir);
    const istioctl = text(charts.istioctl);
    if (renderer === "istioctl" && !istioctl) {
        c.add("charts.istioctl", istioctl, "the istioctl renderer needs the istioctl binary of each version",
            `set charts.istioctl to a path with {version}, e.g. /opt/istio-{version}/bin/istioctl`);
    }
    return { renderer, repository, localDir, istioctl };
}

/** Why a hub is not a registry path (`registry.example.com:5000/istio`), if it is not. */
function hubProblem(hub: string): string | undefined {
    if (/^[a-z]+:\/\//i.test(hub)) {
        return "has a scheme: image references have none";
    }
    const last = hub.split("/").pop() ?? "";
    if (hub.includes("/") && /[:@]/.test(last)) {
        return "has a tag or digest: the tag comes from registry.tag (default each chart's own version)";
    }
    if (/\s|\/$|^\//.test(hub) || hub !== hub.toLowerCase()) {
        return "is not a registry path (lowercase, no spaces, no leading or trailing '/')";
    }
    return undefined;
}

/** How `registryCredentials` is set (raw.ts puts a mark in its place, never the value). */
function checkCredentials(c: Collector, mark: unknown): boolean {
    if (mark === undefined || mark === CREDENTIALS.secret) {
        return mark === CREDENTIALS.secret;
    }
    if (mark === CREDENTIALS.notDockerConfig) {
        c.add(CREDENTIALS_KEY, mark, "is not a dockerconfigjson (JSON with an \"auths\" map)",
            `set the file docker or podman writes: pulumi config set --secret ${CREDENTIALS_KEY} "$(cat ~/.docker/config.json)"`);
    } else {
        c.add(CREDENTIALS_KEY, CREDENTIALS.plain, "is set in plain text: it would be stored unencrypted in the stack file and state",
            `pulumi config rm ${CREDENTIALS_KEY}, then pulumi config set --secret ${CREDENTIALS_KEY} "$(cat config.json)" (and rotate the credential)`);
    }
    return false;
}

export function parseImages(c: Collector, registry: Record<string, unknown>, credentials: unknown, hasCredentials: boolean):
    { images: ImageSettings; pullSecretName?: string } {
    hasCredentials = checkCredentials(c, credentials) || (hasCredentials && credentials === undefined);
    const hub = text(registry.hub);
    const wrongHub = hub === undefined ? undefined : hubProblem(hub);
    if (wrongHub) {
        c.add("registry.hub", hub, wrongHub, `write the registry and path only, e.g. registry.example.com/istio`);
    }
    const tag = text(registry.tag);
    let secrets = (registry.imagePullSecrets ?? []) as string[];
    const bad = secrets.findIndex(s => !isDnsLabel(s));
    if (bad >= 0) {
        c.add(`registry.imagePullSecrets[${bad}]`, secrets[bad], "is not a Secret name",
            "e.g. imagePullSecrets: [registry-credentials]; put credentials in the secret istio-mesh:registryCredentials");
    }
    let pullSecretName: string | undefined;
    if (hasCredentials) {
        pullSecretName = text(registry.pullSecretName) ?? DEFAULTS.pullSecretName;
        if (!isDnsLabel(pullSecretName)) {
            c.add("registry.pullSecretName", pullSecretName, "is not a Secret name", `e.g. ${DEFAULTS.pullSecretName}`);
        }
        if (!secrets.includes(pullSecretName)) {
            secrets = [...secrets, pullSecretName];
        }
    }
    return { images: { hub, tag, imagePullSecrets: secrets }, pullSecretName };
}
