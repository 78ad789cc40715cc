/** Where Istio comes from: charts and renderer, images and pull secrets, and istio-cni. */
import * as path from "path";
import {
    compareVersions, DEFAULT_CHART_REPOSITORY, forVersion, ImageSettings, isDnsLabel, isPrerelease, parseVersion, VERSION_PLACEHOLDER,
} from "../../istio";
import { DEFAULTS } from "./defaults";
import { CREDENTIALS, CREDENTIALS_KEY } from "./raw";
import { Collector } from "./problems";
import { ChartSourceSpec, CniSpec, Disk, Renderer, RevisionSpec } from "./spec";

/** Reads a text key whose empty value means unset. */
function text(v: unknown): string | undefined {
    return v === undefined || v === null || v === "" ? undefined : v as string;
}

/**
 * Advises against a prerelease of Istio: it works (the offline toolchain's builds are prereleases), but Istio
 * supports only releases.
 */
export function advisePrerelease(c: Collector, key: string, version: string): void {
    if (isPrerelease(version)) {
        c.advise(key, version, "is a prerelease build of Istio, which Istio does not support",
            "use a released version (x.y.z, https://istio.io/latest/news/releases/) in production");
    }
}

/** The cni keys that mean something only with `cni.enabled: true`. */
const CNI_SETTINGS = ["chained", "version", "namespace", "values"] as const;

/**
 * The `cni` section. `ambientVersion`: ztunnel's version when ambient mode is on, which an unset cni.version follows
 * (in ambient mode istio-cni serves ztunnel and moves with it, before it: istio/ambient.ts).
 */
export function parseCni(c: Collector, cni: Record<string, unknown>, istioNamespace: string, revisions: readonly RevisionSpec[],
                         ambientVersion?: string): CniSpec | undefined {
    if (cni.enabled !== true) {
        // A setting of a CNI that is not installed says its writer expects one: refused rather than ignored.
        for (const key of CNI_SETTINGS.filter(k => cni[k] !== undefined && !(k === "values" && Object.keys(cni.values as object).length === 0))) {
            c.add(`cni.${key}`, cni[key], `is set, but CNI is off (cni.enabled is ${cni.enabled === false ? "false" : "unset"}), so it does nothing`,
                `set cni.enabled: true to install istio-cni, or remove cni.${key}`);
        }
        return undefined;
    }
    let version: string | undefined;
    if (cni.version === undefined) {
        // CNI must not be newer than any control plane: follow the oldest one (in ambient mode, ztunnel).
        version = ambientVersion ?? revisions.map(r => r.version).sort(compareVersions)[0];
    } else if (parseVersion(cni.version as string)) {
        version = parseVersion(cni.version as string)!.raw;
        advisePrerelease(c, "cni.version", version);
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

/** Where charts come from: an oci:// or http(s):// URL with a host. */
function isRepositoryUrl(repository: string): boolean {
    try {
        const url = new URL(repository);
        return ["oci:", "http:", "https:"].includes(url.protocol) && url.host !== "";
    } catch {
        return false;
    }
}

/**
 * Charts on disk: one directory per version (`{version}` tells them apart), and each there. `versions` are the
 * Istio versions the config runs; `disk` is absent where nothing may read the disk (then only the text is checked).
 */
function checkLocalDir(c: Collector, localDir: string, versions: readonly string[], disk: Disk | undefined): void {
    if (!localDir.includes(VERSION_PLACEHOLDER) && versions.length > 1) {
        c.add("charts.localDir", localDir, `has no ${VERSION_PLACEHOLDER}, so the charts of ${versions.join(" and ")} would all come from one directory`,
            `put ${VERSION_PLACEHOLDER} where each version's directory differs, e.g. /srv/istio/${VERSION_PLACEHOLDER}`);
        return;
    }
    const missing = disk ? versions.map(v => forVersion(localDir, v))
        .filter(dir => !disk.isDirectory(path.resolve(disk.projectDir, dir))) : [];
    if (missing.length > 0) {
        c.add("charts.localDir", localDir, `names no directory at ${missing.join(", ")}`,
            `unpack each version's charts there (base/ istiod/ gateway/ cni/), or point charts.localDir at them, e.g. /srv/istio/${VERSION_PLACEHOLDER}`);
    }
}

export function parseCharts(c: Collector, charts: Record<string, unknown>, versions: readonly string[], disk?: Disk): ChartSourceSpec {
    const renderer = (charts.renderer ?? DEFAULTS.renderer) as Renderer;
    const repository = text(charts.repository) ?? DEFAULT_CHART_REPOSITORY;
    if (!isRepositoryUrl(repository)) {
        c.add("charts.repository", repository, "is not an oci:// or http(s):// repository URL",
            `use ${DEFAULT_CHART_REPOSITORY}, your mirror, or set charts.localDir for charts on disk`);
    }
    const localDir = text(charts.localDir);
    if (localDir) {
        checkLocalDir(c, localDir, versions, disk);
    }
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

const SET_SECRET = `pulumi config set --secret ${CREDENTIALS_KEY} "$(cat ~/.docker/config.json)"`;

/** Why the credentials are refused, by the mark raw.ts puts in their place (never the value). */
const CREDENTIALS_PROBLEMS: Readonly<Record<string, { message: string; fix: string }>> = {
    [CREDENTIALS.plain]: {
        message: "is set in plain text: it would be stored unencrypted in the stack file and state",
        fix: `pulumi config rm ${CREDENTIALS_KEY}, then pulumi config set --secret ${CREDENTIALS_KEY} "$(cat config.json)" (and rotate the credential)`,
    },
    [CREDENTIALS.notDockerConfig]: {
        message: "is not a dockerconfigjson (JSON with an \"auths\" map)",
        fix: `set the file docker or podman writes: ${SET_SECRET}`,
    },
    [CREDENTIALS.empty]: {
        message: "is set but empty (was the file it was read from there?)",
        fix: `set the file docker or podman writes: ${SET_SECRET}, or pulumi config rm ${CREDENTIALS_KEY}`,
    },
    [CREDENTIALS.noCredentials]: {
        message: "holds no credentials: its auths map is empty, or an entry has neither auth nor username and password " +
            "(docker leaves them out when a credsStore or credHelpers keeps them), so every pull would be anonymous",
        fix: `write a file that holds them (podman login --authfile config.json <registry>, or docker login without a credsStore), then ` +
            `pulumi config set --secret ${CREDENTIALS_KEY} "$(cat config.json)"`,
    },
};

/** Whether `registryCredentials` is set usably (raw.ts puts a mark in its place, never the value); a problem when set otherwise. */
function checkCredentials(c: Collector, mark: unknown): boolean {
    if (mark === undefined || mark === CREDENTIALS.secret) {
        return mark === CREDENTIALS.secret;
    }
    // Anything but a mark is a value that did not come through rawConfigFromPulumi: plain text, never shown.
    const shown = typeof mark === "string" && mark in CREDENTIALS_PROBLEMS ? mark : CREDENTIALS.plain;
    c.add(CREDENTIALS_KEY, shown, CREDENTIALS_PROBLEMS[shown].message, CREDENTIALS_PROBLEMS[shown].fix);
    return false;
}

/**
 * `versions` are the Istio versions the config runs: a tag without `{version}` would run one image for all of them.
 */
export function parseImages(c: Collector, registry: Record<string, unknown>, versions: readonly string[], credentials: unknown, hasCredentials: boolean):
    { images: ImageSettings; pullSecretName?: string } {
    hasCredentials = checkCredentials(c, credentials) || (hasCredentials && credentials === undefined);
    const hub = text(registry.hub);
    const wrongHub = hub === undefined ? undefined : hubProblem(hub);
    if (wrongHub) {
        c.add("registry.hub", hub, wrongHub, `write the registry and path only, e.g. registry.example.com/istio`);
    }
    const tag = text(registry.tag);
    if (tag !== undefined && !tag.includes(VERSION_PLACEHOLDER) && versions.length > 1) {
        c.add("registry.tag", tag, `is one fixed tag, but this config runs Istio ${versions.join(" and ")}: every istiod, proxy and CNI would run that one image, whatever its version`,
            `put ${VERSION_PLACEHOLDER} in the tag, e.g. "${VERSION_PLACEHOLDER}-distroless", or remove it to use each chart's own version`);
    }
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
