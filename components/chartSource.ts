/**
 * Where a chart comes from (a Helm repository, OCI or HTTP, or a local directory per version), as
 * arguments of kubernetes.helm.v4.Chart. Pure, so it is tested without Pulumi.
 */
import { ChartName, forVersion, Values } from "../istio";
import { ChartSourceSpec } from "../model/config";

export interface ChartLocation {
    chart: string;
    version?: string;
    repositoryOpts?: { repo: string };
}

/** The Chart arguments that fetch `chart` at `version` from `source`. */
export function chartLocation(source: ChartSourceSpec, chart: ChartName, version: string): ChartLocation {
    if (source.localDir) {
        // Helm ignores `version` for a directory; it is kept so the plan (and the policy pack) shows what runs.
        return { chart: `${forVersion(source.localDir, version).replace(/\/+$/, "")}/${chart}`, version };
    }
    if (source.repository.startsWith("oci://")) {
        return { chart: `${source.repository.replace(/\/+$/, "")}/${chart}`, version };
    }
    return { chart, version, repositoryOpts: { repo: source.repository } };
}

/**
 * The options of the Kubernetes provider's `kubernetes:helm:template` invoke (its HelmChartOpts, as JSON) that render
 * the chart at `location` as the Chart resource does: a directory by `path`, an OCI reference as the chart, a Helm
 * repository by its URL.
 */
export function helmTemplateOptions(location: ChartLocation, releaseName: string, namespace: string, values: Values): Record<string, unknown> {
    const common = { release_name: releaseName, namespace, values };
    if (location.repositoryOpts) {
        return { ...common, chart: location.chart, version: location.version, fetch_opts: { repo: location.repositoryOpts.repo } };
    }
    if (location.chart.startsWith("oci://")) {
        return { ...common, chart: location.chart, version: location.version };
    }
    return { ...common, path: location.chart };
}

/** The istioctl binary of `version` for the istioctl renderer. */
export function istioctlPath(source: ChartSourceSpec, version: string): string {
    return forVersion(source.istioctl ?? "istioctl", version);
}
