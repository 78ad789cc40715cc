import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { baseValues, CHART, CRD_KIND, CrdBundle, crdBundle } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { chartLocation, helmTemplateOptions, istioctlPath } from "./chartSource";
import { chartDirectoryDigest, crdRenderKey, pruneCrdFiles, rememberCrds, rememberedCrds, writeCrdFile } from "./crdFiles";
import { CRDS_APPLY_SCRIPT } from "./kubectl";
import { childOptions } from "./options";
import { Release, ReleaseArgs, renderApart, renderRelease } from "./release";
import { TYPE } from "./types";

export interface IstioBaseArgs {
    /** The Istio version of the CRDs: the newest revision's, since CRDs are upgraded before any new istiod. */
    version: string;
    /** Namespace of the Helm release and of istiod. */
    istioNamespace: string;
    /** The revision the `default` tag points at; it serves `istiod-default-validator`. None renders no default validator. */
    defaultRevision?: string;
    /** Where charts (or istioctl) come from. */
    charts: ChartSourceSpec;
    /**
     * The kubectl environment of a live stack (components/kubectl.ts clusterEnvironment). Set: the CRDs are applied by
     * one `crds` step whose inputs are their version and digest, and the chart renders the rest. Unset (render mode):
     * the CRDs are objects of the chart, written to the manifests with the rest.
     */
    kubectl?: Record<string, pulumi.Input<string>>;
}

/** The Kubernetes provider's version, whose Helm renders the charts. */
// eslint-disable-next-line @typescript-eslint/no-var-requires
const PROVIDER_VERSION: string = require("@pulumi/kubernetes/package.json").version;

/** The Pulumi type of a CustomResourceDefinition, as the chart's and the ConfigGroup's children are registered. */
const CRD_TYPE = `kubernetes:apiextensions.k8s.io/v1:${CRD_KIND}`;

/**
 * Keeps the CRDs on delete: deleting a CRD deletes every object of its kind in the cluster (every VirtualService,
 * DestinationRule, AuthorizationPolicy...), which are the users', not the program's. The default validator and
 * the rest of the chart are deleted as usual.
 */
export const retainCustomResourceDefinitions: pulumi.ResourceTransform = args =>
    args.type === CRD_TYPE ? { props: args.props, opts: { ...args.opts, retainOnDelete: true } } : undefined;

/**
 * The `base` chart: Istio's CRDs and the default validator. Everything else depends on it, so CRDs are
 * created and upgraded first, and they are never deleted: not when the stack is destroyed, not when the chart is removed.
 */
export class IstioBase extends pulumi.ComponentResource {
    /** The chart or ConfigGroup of the base release (with the CRDs only in render mode). */
    public readonly release: Release;
    /** The step applying the CRDs (live stacks). */
    public readonly crds?: command.local.Command;

    constructor(name: string, args: IstioBaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // A component's transforms apply to every resource below it, the chart's objects included.
        super(TYPE.base, name, {}, { ...opts, transforms: [...(opts?.transforms ?? []), retainCustomResourceDefinitions] });
        const release: ReleaseArgs = {
            chart: CHART.base, component: "base", version: args.version, namespace: args.istioNamespace, charts: args.charts,
            values: baseValues({ defaultRevision: args.defaultRevision, istioNamespace: args.istioNamespace }),
        };
        if (!args.kubectl) {
            this.release = renderRelease(this, name, release, opts);
            this.registerOutputs({});
            return;
        }
        // istioctl's render serves the release too (its manifest without the CRDs), so it always runs. A Helm render
        // of the same chart, values and provider as an earlier run is not repeated (components/crdFiles.ts).
        const location = chartLocation(args.charts, CHART.base, args.version);
        const key = args.charts.renderer === "istioctl" ? undefined : crdRenderKey(
            helmTemplateOptions(location, name, args.istioNamespace, release.values),
            args.charts.localDir ? chartDirectoryDigest(location.chart) : undefined, PROVIDER_VERSION);
        const remembered = key ? rememberedCrds(key, args.version) : undefined;
        if (remembered) {
            pruneCrdFiles(args.version, remembered.digest);
        }
        const render = remembered ? undefined : renderApart(this, name, release);
        const bundle = remembered ? pulumi.output(remembered) : render!.objects.apply(objects => {
            const b = crdBundle(objects, args.charts.renderer === "istioctl"
                ? `istioctl ${istioctlPath(args.charts, args.version)} (the base component of Istio ${args.version})`
                : `the base chart of Istio ${args.version} (${location.chart})`);
            writeCrdFile(b, args.version);
            if (key) {
                rememberCrds(key, args.version, b);
            }
            pruneCrdFiles(args.version, b.digest);
            return b;
        });
        // Their version and digest are the step's inputs: the preview of an upgrade reads "CRDS_VERSION 1.30.4 => 1.31.0",
        // not 15 schema diffs, and the engine neither diffs nor logs 500 KB of schemas on every run. No delete command.
        this.crds = new command.local.Command("crds", {
            create: CRDS_APPLY_SCRIPT,
            update: CRDS_APPLY_SCRIPT,
            interpreter: ["/bin/bash", "-c"],
            environment: {
                ...args.kubectl,
                CRDS_VERSION: args.version,
                CRDS_DIGEST: bundle.digest,
                CRDS_COUNT: bundle.names.apply(n => `${n.length} CRDs`),
            },
        }, childOptions(this, opts));
        this.release = renderRelease(this, name, { ...release, apart: { crds: bundle.names, ...(render ? { render } : {}) } }, { ...opts, dependsOn: [this.crds] });
        this.registerOutputs({});
    }
}
