import * as pulumi from "@pulumi/pulumi";
import { ambientCniValues, CHART, cniValues, ImageSettings, mergeValues } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { Release, renderRelease } from "./release";
import { TYPE } from "./types";

export interface IstioCniArgs {
    /** Exact Istio version. CNI is one DaemonSet, upgraded in place: every control plane must be at its minor or one above. */
    version: string;
    /** Chain onto the cluster's CNI plugin. Default true. */
    chained?: boolean;
    /** Namespace of the DaemonSet. Default: the istio namespace. */
    namespace: string;
    istioNamespace: string;
    images: ImageSettings;
    /** User overrides of the cni chart values, merged last. */
    values?: Record<string, unknown>;
    charts: ChartSourceSpec;
    /** Ambient mode is on: istio-cni redirects the ambient pods' traffic to ztunnel. Default false. */
    ambient?: boolean;
}

/** The istio-cni node agent (DaemonSet `istio-cni-node`); the only Istio component allowed to be privileged. */
export class IstioCni extends pulumi.ComponentResource {
    public readonly release: Release;

    constructor(name: string, args: IstioCniArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE.cni, name, {}, opts);
        this.release = renderRelease(this, name, {
            chart: CHART.cni, component: "cni", version: args.version, namespace: args.namespace, charts: args.charts,
            values: cniValues({
                version: args.version, chained: args.chained ?? true, istioNamespace: args.istioNamespace,
                images: args.images, overrides: args.ambient ? mergeValues(ambientCniValues(args.version), args.values) : args.values,
            }),
        }, opts);
        this.registerOutputs({ version: args.version });
    }
}
