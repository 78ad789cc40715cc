import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ambientIstiodValues, CHART, ImageSettings, istiodName, istiodValues, mergeValues } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { RETIREMENT_GUARD_SCRIPT } from "./kubectl";
import { Release, renderRelease } from "./release";
import { TYPE } from "./types";

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
    /** User overrides of the istiod chart values, merged over the program's (its annotations excepted). */
    values?: Record<string, unknown>;
    charts: ChartSourceSpec;
    /** Ambient mode is on: istiod serves ztunnel and deploys waypoints (istio/ambient.ts). Default false. */
    ambient?: boolean;
}

/** One Istio control plane (istiod) of one revision, with its injector and validator webhooks. */
export class IstioRevision extends pulumi.ComponentResource {
    public readonly revision: string;
    public readonly version: string;
    /** The istiod Deployment name. */
    public readonly istiodName: string;
    /** The chart or ConfigGroup of this revision: tags, gateways and namespaces depend on it. */
    public readonly release: Release;
    private readonly guardName: string;

    constructor(name: string, args: IstioRevisionArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE.revision, name, {}, opts);
        this.revision = args.revision;
        this.version = args.version;
        this.istiodName = istiodName(args.revision);

        this.release = renderRelease(this, name, {
            chart: CHART.istiod, component: "pilot", version: args.version, namespace: args.istioNamespace, charts: args.charts,
            values: istiodValues({
                version: args.version, revision: args.revision, istioNamespace: args.istioNamespace, images: args.images,
                cni: args.cni, upgradedFrom: args.upgradedFrom, kubernetesVersion: args.kubernetesVersion,
                overrides: args.ambient ? mergeValues(ambientIstiodValues(), args.values) : args.values,
            }),
        }, opts);

        this.guardName = `${name}-retirement-guard`;
        this.registerOutputs({ revision: this.revision, version: this.version, istiodName: this.istiodName });
    }

    /**
     * Arms the revision's retirement guard: a Command whose delete step checks the cluster and stops the update
     * (or a destroy) before istiod goes while running pods still use this revision. `environment` is kubectl's
     * (cluster access; no guard in render mode). The guard depends on `protects`: this revision's objects and every
     * object the mesh serves traffic through (IstioMesh passes them all). Pulumi deletes what depends on a resource
     * before it, so it runs the guard before deleting any of them: a retirement or destroy it refuses deletes nothing.
     */
    public armRetirementGuard(environment: Record<string, pulumi.Input<string>>, protects: pulumi.Input<pulumi.Resource[]>): command.local.Command {
        return new command.local.Command(this.guardName, {
            create: `echo "revision ${this.revision}: retirement guard armed"`,
            delete: RETIREMENT_GUARD_SCRIPT,
            interpreter: ["/bin/bash", "-c"],
            environment: { ...environment, REVISION: this.revision },
        }, { parent: this, dependsOn: protects });
    }
}
