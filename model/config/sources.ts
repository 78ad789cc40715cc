/** Where Istio comes from: charts and renderer, images and pull secrets, and istio-cni. */
import { compareVersions, DEFAULT_CHART_REPOSITORY, ImageSettings, isDnsLabel, parseVersion } from "../../istio";
import { DEFAULTS } from "./defaults";
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
    if (!version) {
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

export function parseImages(c: Collector, registry: Record<string, unknown>, hasCredentials: boolean): { images: ImageSettings; pullSecretName?: string } {
    const hub = text(registry.hub);
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
        if (!secrets.includes(pullSecretName)) {
            secrets = [...secrets, pullSecretName];
        }
    }
    return { images: { hub, tag, imagePullSecrets: secrets }, pullSecretName };
}
