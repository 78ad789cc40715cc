import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { baseValues, CHART, istioctlBaseSets, istioctlCommand } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { chartLocation, istioctlPath } from "./chartSource";
import { childOptions } from "./options";

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
        if (args.charts.renderer === "istioctl") {
            const manifest = command.local.runOutput({
                command: istioctlCommand(istioctlPath(args.charts, args.version),
                    istioctlBaseSets({ istioNamespace: args.istioNamespace, defaultRevision: args.defaultRevision })),
            }, childOptions(this, opts));
            this.release = new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { yaml: manifest.stdout }, childOptions(this, opts));
        } else {
            this.release = new k8s.helm.v4.Chart(name, {
                ...chartLocation(args.charts, CHART.base, args.version),
                namespace: args.istioNamespace,
                values: baseValues({ defaultRevision: args.defaultRevision, istioNamespace: args.istioNamespace }),
            }, childOptions(this, opts));
        }
        this.registerOutputs({});
    }
}
