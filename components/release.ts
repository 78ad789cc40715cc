import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ChartName, excludingCrds, IstioctlComponent, istioctlCommand, istioctlOverlay, manifestObjects, manifestWithoutCrds, overlayText, Values } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { chartLocation, helmTemplateOptions, istioctlPath } from "./chartSource";
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
 * its objects, since neither the SDK nor the engine's hold-back of a failed delete looks into a provider-side
 * component's children. An object the SDK gives back as its URN (a type it has no class for) is depended on by URN.
 * Anything else fails the run, naming the release: a guard that protects nothing must not pass for one that does.
 * Unknown in a preview, where the release alone stands for them.
 */
export function releaseObjects(release: Pick<Release, "resources"> & pulumi.Resource, name: string): pulumi.Output<pulumi.Resource[]> {
    return release.resources.apply(objects => [release, ...(objects ?? []).map((o: unknown): pulumi.Resource => {
        if (pulumi.Resource.isInstance(o)) {
            return o;
        }
        if (typeof o === "string" && o.startsWith("urn:pulumi:")) {
            return new pulumi.DependencyResource(o);
        }
        throw new pulumi.RunError(`istio-mesh: an object of release ${name} could not be resolved to a resource (${JSON.stringify(o)}), ` +
            "so the retirement guards and the destroy lock could not depend on it; nothing was deleted. This is a bug in istio-mesh " +
            "or an unsupported @pulumi/kubernetes version: report it with the output of `pulumi stack export`.");
    })]);
}

/** `istioctl manifest generate` of the release's values (an invoke: the text, no resource). */
function istioctlManifest(parent: pulumi.Resource, args: ReleaseArgs, opts?: pulumi.ComponentResourceOptions): pulumi.Output<string> {
    return command.local.runOutput({
        command: istioctlCommand(istioctlPath(args.charts, args.version)),
        stdin: overlayText(istioctlOverlay(args.component, args.namespace, args.values)),
    }, childOptions(parent, opts)).stdout;
}

/**
 * Registers a release with the stack's renderer, as a child of `parent`: a Helm chart given `values`, or the
 * objects `istioctl manifest generate` renders from the same `values` (a ConfigGroup named `<name>-manifest`).
 * `apart`: the CRDs another step applies, left out of the release (the base chart only), and the render they were
 * taken from (istioctl's manifest is not rendered twice).
 */
export function renderRelease(parent: pulumi.Resource, name: string, args: ReleaseArgs & { apart?: { crds: pulumi.Output<readonly string[]>; render?: Render } },
                              opts?: pulumi.ComponentResourceOptions): Release {
    const { apart } = args;
    if (args.charts.renderer === "istioctl") {
        const yaml = apart?.render?.manifest?.apply(manifestWithoutCrds) ?? istioctlManifest(parent, args, opts);
        return new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { yaml }, childOptions(parent, opts));
    }
    return new k8s.helm.v4.Chart(name, {
        ...chartLocation(args.charts, args.chart, args.version),
        namespace: args.namespace,
        values: apart ? apart.crds.apply(names => excludingCrds(args.values, names)) : args.values,
    }, childOptions(parent, opts));
}

/** What a release renders, with nothing registered: its objects, and istioctl's manifest text. */
export interface Render {
    objects: pulumi.Output<unknown[]>;
    manifest?: pulumi.Output<string>;
}

/**
 * Renders the release without registering anything: the provider's `helm template` (the chart the Chart resource
 * renders, from the same source; `name` is the Helm release name), or istioctl's manifest. The render reads no
 * object of the cluster, so it waits for none: a first preview knows what it will apply.
 */
export function renderApart(parent: pulumi.Resource, name: string, args: ReleaseArgs): Render {
    if (args.charts.renderer === "istioctl") {
        const manifest = istioctlManifest(parent, args);
        return { objects: manifest.apply(manifestObjects), manifest };
    }
    const template = pulumi.runtime.invoke("kubernetes:helm:template", {
        jsonOpts: JSON.stringify(helmTemplateOptions(chartLocation(args.charts, args.chart, args.version), name, args.namespace, args.values)),
    }, { parent });
    return { objects: pulumi.output(template).apply(t => (t as { result?: unknown[] }).result ?? []) };
}
