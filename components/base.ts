import * as pulumi from "@pulumi/pulumi";
import { baseValues, CHART } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { renderRelease } from "./release";

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

/**
 * The `base` chart: Istio's CRDs and the default validator. Everything else depends on it, so CRDs are
 * created and upgraded first.
 */
export class IstioBase extends pulumi.ComponentResource {
    /** The chart or ConfigGroup holding the CRDs. */
    public readonly release: pulumi.Resource;

    constructor(name: string, args: IstioBaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-mesh:index:IstioBase", name, {}, opts);
        this.release = renderRelease(this, name, {
            chart: CHART.base, component: "base", version: args.version, namespace: args.istioNamespace, charts: args.charts,
            values: baseValues({ defaultRevision: args.defaultRevision, istioNamespace: args.istioNamespace }),
        }, opts);
        this.registerOutputs({});
    }
}
