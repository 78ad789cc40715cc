import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CHART, gatewayValues, mergeValues, ServiceType } from "../istio";
import { ChartSourceSpec } from "../model/config";
import { Binding } from "../model/facts";
import { chartLocation } from "./chartSource";
import { childOptions } from "./options";
import { Release } from "./release";
import { TYPE } from "./types";

export interface IstioGatewayArgs {
    name: string;
    namespace: string;
    /** The Helm release name (a label on the gateway's objects and pods). Default: the resource name. */
    releaseName?: string;
    /** The revision or tag injecting the gateway, resolved: its version is the gateway's proxy version. */
    binding: Binding;
    /** Service type. */
    serviceType: ServiceType;
    /**
     * With a LoadBalancer Service: whether `up` waits for its external IP (the Kubernetes provider's await, up to
     * 10 minutes). When false, the Service carries `pulumi.com/skipAwait`. Default: true.
     */
    awaitLoadBalancer?: boolean;
    /** The gateway's config key (e.g. `istio-mesh:gateways[0]`), named in messages. */
    configKey: string;
    replicas: number;
    /** Renders a PodDisruptionBudget when set. */
    podDisruptionBudget?: { minAvailable?: number | string; maxUnavailable?: number | string };
    imagePullSecrets?: readonly string[];
    /** User overrides of the gateway chart values, merged last. */
    values?: Record<string, unknown>;
    charts: ChartSourceSpec;
}

/** The Kubernetes provider's annotation that turns off its readiness wait for one object. */
const SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait";

/**
 * An Istio gateway (gateway chart). Gateways are proxies with `image: auto`: the revision that injects them
 * sets their version, and the chart version follows it. Moving a gateway changes its pods' `istio.io/rev`,
 * so Kubernetes rolls it; an in-place upgrade of its revision changes the proxy-version annotation, same effect.
 */
export class IstioGateway extends pulumi.ComponentResource {
    public readonly release: Release;

    constructor(name: string, args: IstioGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE.gateway, name, {}, opts);
        const loadBalancer = args.serviceType === "LoadBalancer";
        const awaitLoadBalancer = loadBalancer && args.awaitLoadBalancer !== false;
        if (awaitLoadBalancer && !pulumi.runtime.isDryRun()) {
            // The provider's wait is silent for up to 10 minutes where no external IP ever comes.
            pulumi.log.info(`gateway ${args.namespace}/${args.name}: waiting for its LoadBalancer Service's external IP (up to 10 minutes). ` +
                `On a cluster that assigns none (bare metal, kind, KWOK), set ${args.configKey}.awaitLoadBalancer: false, or serviceType: NodePort.`, this);
        }
        // Both renderers: istioctl has no component for the gateway chart (see the README, Renderers).
        this.release = new k8s.helm.v4.Chart(name, {
            ...chartLocation(args.charts, CHART.gateway, args.binding.version),
            name: args.releaseName,
            namespace: args.namespace,
            values: mergeValues(gatewayValues({
                name: args.name, revision: args.binding.target, proxyVersion: args.binding.version,
                serviceType: args.serviceType, replicas: args.replicas, podDisruptionBudget: args.podDisruptionBudget,
                imagePullSecrets: args.imagePullSecrets, overrides: args.values,
            }), loadBalancer && !awaitLoadBalancer ? { service: { annotations: { [SKIP_AWAIT_ANNOTATION]: "true" } } } : {}),
        }, childOptions(this, opts));
        this.registerOutputs({ revision: args.binding.revision, version: args.binding.version });
    }
}
