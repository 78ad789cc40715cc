import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { CHART, Values, ZtunnelRollout } from "../istio";
import { ChartSourceSpec, ZtunnelSpec } from "../model/config";
import { Release, renderRelease } from "./release";
import { TYPE } from "./types";
import { ZTUNNEL_STEP_COMMAND } from "./ztunnelStep";

export interface IstioZtunnelArgs {
    /** ztunnel's chart values, with the digest its pods carry (model/ambient/nodes.ts ztunnelRelease). */
    release: { values: Values; target: string };
    /** Exact Istio version. One DaemonSet, upgraded in place: never newer than its revision's control plane, at most one minor behind. */
    version: string;
    /** The revision whose istiod serves ztunnel (istiod-<revision>). */
    revision: string;
    /** nodeByNode: the DaemonSet is OnDelete and the `ztunnel-rollout` step replaces its pods; rolling: its own update. */
    rollout: ZtunnelRollout;
    /** Where the DaemonSet runs: the istio namespace. */
    istioNamespace: string;
    charts: ChartSourceSpec;
    /**
     * The rollout step's settings (ambient.ztunnel), kubectl's environment and the request (the nodes expected to move,
     * for the preview's diff); undefined in render mode, where no step runs (with nodeByNode the rendered DaemonSet is
     * OnDelete: its pods move when deleted by hand).
     */
    step?: { spec: ZtunnelSpec; environment: Record<string, pulumi.Input<string>>; request: string; keepLastRequest: boolean };
}

/**
 * ztunnel, ambient mode's node proxy: the ztunnel chart, whose pod template carries the digest of its configuration
 * (ZTUNNEL_CONFIG_ANNOTATION), and the `ztunnel-rollout` step that moves every node onto it (components/ztunnelStep.ts).
 * What follows ztunnel in Istio's order (tags, waypoints, gateways, namespaces) depends on `ready`.
 */
export class IstioZtunnel extends pulumi.ComponentResource {
    public readonly release: Release;
    /** The digest of the version and values every node's pod must run. */
    public readonly target: string;
    /** The release and, on a live stack, the step that has every node running it. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: IstioZtunnelArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE.ztunnel, name, {}, opts);
        this.target = args.release.target;
        this.release = renderRelease(this, name, {
            chart: CHART.ztunnel, component: "ztunnel", version: args.version, namespace: args.istioNamespace, charts: args.charts,
            values: args.release.values,
        }, opts);
        const step = args.step && new command.local.Command(`${name}-rollout`, {
            create: ZTUNNEL_STEP_COMMAND,
            update: ZTUNNEL_STEP_COMMAND,
            interpreter: ["/bin/bash", "-c"],
            stdin: args.step.request,
            environment: {
                ...args.step.environment,
                ZTUNNEL_NAMESPACE: args.istioNamespace,
                ZTUNNEL_TARGET: this.target,
                ZTUNNEL_VERSION: args.version,
                ZTUNNEL_ROLLOUT: args.rollout,
                NODES_AT_ONCE: String(args.step.spec.nodesAtOnce),
                CORDON: String(args.step.spec.cordon),
                DRAIN: String(args.step.spec.drain),
                DRAIN_TIMEOUT: args.step.spec.drainTimeout,
                READY_TIMEOUT: args.step.spec.readyTimeout,
                PAUSE: args.step.spec.pauseBetween,
            },
        }, {
            parent: this,
            dependsOn: [this.release],
            // Nothing to do on any node: the last request is kept, so a re-run shows no change (the step decides again anyway).
            ignoreChanges: args.step.keepLastRequest ? ["stdin"] : [],
        });
        this.ready = [this.release, ...(step ? [step] : [])];
        this.registerOutputs({ version: args.version, revision: args.revision, target: this.target });
    }
}
