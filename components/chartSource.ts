/**
 * Where a chart comes from (a Helm repository, OCI or HTTP, or a local directory per version), as
 * arguments of kubernetes.helm.v4.Chart. Pure, so it is tested without Pulumi.
 */
import { ChartName } from "../istio";
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
        return { chart: `${source.localDir.replace(/\{version\}/g, version).replace(/\/+$/, "")}/${chart}`, version };
    }
    if (source.repository.startsWith("oci://")) {
        return { chart: `${source.repository.replace(/\/+$/, "")}/${chart}`, version };
    }
    return { chart, version, repositoryOpts: { repo: source.repository } };
}

/** The istioctl binary of `version` for the istioctl renderer. */
export function istioctlPath(source: ChartSourceSpec, version: string): string {
    return (source.istioctl ?? "istioctl").replace(/\{version\}/g, version);
}
