import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ANNOTATION, CHART, ImageSettings, istioctlCommand, istioctlRevisionSets, istiodName, istiodValues, mergeValues } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { chartLocation, istioctlPath } from "./chartSource";
import { RETIREMENT_GUARD_SCRIPT } from "./kubectl";
import { childOptions } from "./options";

export interface IstioRevisionArgs {
    /** Revision name: istiod-<revision>, istio.io/rev=<revision>. */
    revision: string;
    /** Exact Istio version (the chart version). */
    version: string;
    istioNamespace: string;
    images: ImageSettings;
    /** CNI settings istiod's injector must know. Default: CNI off. */
    cni?: { enabled: boolean; chained?: boolean };
    /** The version this revision ran before an in-place upgrade, if it was upgraded in place. */
    upgradedFrom?: string;
    /** The cluster's Kubernetes version, recorded for the policy pack. */
    kubernetesVersion?: string;
    /** User overrides of the istiod chart values, merged last. */
    values?: Record<string, unknown>;
    charts: ChartSourceSpec;
    /**
     * Environment for kubectl (cluster access). When set, a retirement guard refuses to delete this revision
     * while running pods still carry its label. Unset in render mode, where there is no cluster.
     */
    guardEnvironment?: Record<string, string>;
}

/** One Istio control plane (istiod) of one revision, with its injector and validator webhooks. */
export class IstioRevision extends pulumi.ComponentResource {
    public readonly revision: string;
    public readonly version: string;
    /** The istiod Deployment name. */
    public readonly istiodName: string;
    /** The chart or ConfigGroup of this revision: tags, gateways and namespaces depend on it. */
    public readonly release: pulumi.Resource;

    constructor(name: string, args: IstioRevisionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-mesh:index:IstioRevision", name, {}, opts);
        this.revision = args.revision;
        this.version = args.version;
        this.istiodName = istiodName(args.revision);

        const annotations: Record<string, string> = {};
        if (args.upgradedFrom) {
            annotations[ANNOTATION.upgradedFrom] = args.upgradedFrom;
        }
        if (args.kubernetesVersion) {
            annotations[ANNOTATION.kubernetesVersion] = args.kubernetesVersion;
        }
        if (args.charts.renderer === "istioctl") {
            const manifest = command.local.runOutput({
                command: istioctlCommand(istioctlPath(args.charts, args.version), istioctlRevisionSets({
                    version: args.version, revision: args.revision, istioNamespace: args.istioNamespace,
                    images: args.images, cni: args.cni,
                })),
            }, childOptions(this, opts));
            this.release = new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { yaml: manifest.stdout }, childOptions(this, opts));
        } else {
            const values = istiodValues({
                version: args.version, revision: args.revision, istioNamespace: args.istioNamespace,
                images: args.images, cni: args.cni, overrides: args.values,
            });
            this.release = new k8s.helm.v4.Chart(name, {
                ...chartLocation(args.charts, CHART.istiod, args.version),
                namespace: args.istioNamespace,
                values: Object.keys(annotations).length > 0 ? mergeValues(values, { deploymentAnnotations: annotations }) : values,
            }, childOptions(this, opts));
        }

        if (args.guardEnvironment) {
            // Depends on the release, so when the revision leaves the config Pulumi deletes this first: its
            // delete step checks the cluster and stops the update before istiod goes if pods still use it.
            new command.local.Command(`${name}-retirement-guard`, {
                create: `echo "revision ${args.revision}: retirement guard armed"`,
                delete: RETIREMENT_GUARD_SCRIPT,
                interpreter: ["/bin/bash", "-c"],
                environment: { ...args.guardEnvironment, REVISION: args.revision },
            }, { parent: this, dependsOn: [this.release] });
        }
        this.registerOutputs({ revision: this.revision, version: this.version, istiodName: this.istiodName });
    }
}
