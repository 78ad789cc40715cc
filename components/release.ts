import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartName, IstioctlComponent, istioctlCommand, istioctlOverlay, overlayText, Values } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { chartLocation, istioctlPath } from "./chartSource";
import { childOptions } from "./options";

/** One Istio release: a chart, its values tree, and the IstioOperator component istioctl renders it as. */
export interface ReleaseArgs {
    chart: ChartName;
    /** The istioctl component of the same chart. */
    component: IstioctlComponent;
    /** Exact Istio version: the chart version, or the istioctl binary. */
    version: string;
    namespace: string;
    /** The chart's values tree (istio/charts.ts): both renderers take it as is. */
    values: Values;
    charts: ChartSourceSpec;
}

/** A rendered release: both renderers' components list the objects they manage in `resources`. */
export type Release = k8s.helm.v4.Chart | k8s.yaml.v2.ConfigGroup;

/**
 * The release and every object it manages, for `dependsOn`: depending on the release alone orders nothing against
 * its objects, since the SDK does not look into a provider-side component's children. Unknown in a preview,
 * where the release alone stands for them.
 */
export function releaseObjects(release: Release): pulumi.Output<pulumi.Resource[]> {
    return release.resources.apply(objects => [release, ...(objects ?? []).filter(pulumi.Resource.isInstance)]);
}

/**
 * Registers a release with the stack's renderer, as a child of `parent`: a Helm chart given `values`, or the
 * objects `istioctl manifest generate` renders from the same `values` (a ConfigGroup named `<name>-manifest`).
 */
export function renderRelease(parent: pulumi.Resource, name: string, args: ReleaseArgs,
                              opts?: pulumi.ComponentResourceOptions): Release {
    if (args.charts.renderer === "istioctl") {
        const manifest = command.local.runOutput({
            command: istioctlCommand(istioctlPath(args.charts, args.version)),
            stdin: overlayText(istioctlOverlay(args.component, args.namespace, args.values)),
        }, childOptions(parent, opts));
        return new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { yaml: manifest.stdout }, childOptions(parent, opts));
    }
    return new k8s.helm.v4.Chart(name, {
        ...chartLocation(args.charts, args.chart, args.version),
        namespace: args.namespace,
        values: args.values,
    }, childOptions(parent, opts));
}
