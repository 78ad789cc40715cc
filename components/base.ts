import * as command from "@pulumi/command";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { baseValues, CHART, CRD_KIND, CrdBundle, crdBundle } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { chartLocation, istioctlPath } from "./chartSource";
import { crdFile, CRDS_APPLY_SCRIPT } from "./kubectl";
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
 * The project's root (where Pulumi.yaml is), where the `crds` step reads the file (components/kubectl.ts
 * TO_PROJECT_ROOT looks for it the same way): found upwards, as the compiled program runs from bin/components.
 */
function projectRoot(): string {
    let dir = __dirname;
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml")) && path.dirname(dir) !== dir) {
        dir = path.dirname(dir);
    }
    return dir;
}

/** Writes the bundle where the `crds` step reads it (content-addressed: an existing file is the same). */
function writeCrdFile(bundle: CrdBundle, version: string): void {
    const file = path.join(projectRoot(), crdFile(version, bundle.digest));
    if (!fs.existsSync(file)) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        // Written whole under a temporary name, then renamed: a step never reads half a file.
        fs.writeFileSync(`${file}.${process.pid}`, bundle.yaml);
        fs.renameSync(`${file}.${process.pid}`, file);
    }
}

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
        const render = renderApart(this, name, release);
        const bundle = render.objects.apply(objects => {
            const b = crdBundle(objects, args.charts.renderer === "istioctl"
                ? `istioctl ${istioctlPath(args.charts, args.version)} (the base component of Istio ${args.version})`
                : `the base chart of Istio ${args.version} (${chartLocation(args.charts, CHART.base, args.version).chart})`);
            writeCrdFile(b, args.version);
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
        this.release = renderRelease(this, name, { ...release, apart: { crds: bundle.names, render } }, { ...opts, dependsOn: [this.crds] });
        this.registerOutputs({});
    }
}
