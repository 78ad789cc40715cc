import * as pulumi from "@pulumi/pulumi";
import { baseValues, CHART } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { Release, renderRelease } from "./release";
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
}

/** The Pulumi type of a CustomResourceDefinition, as the chart's and the ConfigGroup's children are registered. */
const CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

/**
 * Keeps the CRDs on delete: deleting a CRD deletes every object of its kind in the cluster (every VirtualService,
 * DestinationRule, AuthorizationPolicy...), which are the users', not the program's. The default validator and
 * the rest of the chart are deleted as usual.
 */
export const retainCustomResourceDefinitions: pulumi.ResourceTransform = args =>
    args.type === CRD_TYPE ? { props: args.props, opts: { ...args.opts, retainOnDelete: true } } : undefined;

/**
 * The `base` chart: Istio's CRDs and the default validator. Everything else depends on it, so CRDs are
 * created and upgraded first. The CRDs are retained when the stack is destroyed or the chart removed.
 */
export class IstioBase extends pulumi.ComponentResource {
    /** The chart or ConfigGroup holding the CRDs. */
    public readonly release: Release;

    constructor(name: string, args: IstioBaseArgs, opts?: pulumi.ComponentResourceOptions) {
        // A component's transforms apply to every resource below it, the chart's objects included.
        super(TYPE.base, name, {}, { ...opts, transforms: [...(opts?.transforms ?? []), retainCustomResourceDefinitions] });
        this.release = renderRelease(this, name, {
            chart: CHART.base, component: "base", version: args.version, namespace: args.istioNamespace, charts: args.charts,
            values: baseValues({ defaultRevision: args.defaultRevision, istioNamespace: args.istioNamespace }),
        }, opts);
        this.registerOutputs({});
    }
}
