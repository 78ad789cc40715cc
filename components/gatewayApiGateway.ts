import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { gatewayDeploymentName } from "../istio";
import { GatewayApiGatewaySpec } from "../model/config";
import { Binding } from "../model/facts";
import { gatewayObject } from "../model/gatewayApi";
import { GATEWAY_ROLLOUT_SCRIPT } from "./kubectl";
import { childOptions } from "./options";
import { TYPE } from "./types";

export interface GatewayApiGatewayArgs {
    /** The Gateway (model/config). */
    gateway: GatewayApiGatewaySpec;
    /** Its revision or tag, resolved. */
    binding: Binding;
    /** The gateway's config key (e.g. `istio-mesh:gatewayApi.gateways[0]`), named in messages. */
    configKey: string;
    /**
     * The kubectl environment of a live stack: set, a `<name>-rollout` step awaits the Deployment istiod deploys for
     * the Gateway each time its revision or version changes. Unset (render mode): no step.
     */
    kubectl?: Record<string, pulumi.Input<string>>;
    /** The namespace of istiod (named in the step's errors). */
    istioNamespace: string;
    /** The tag of the proxy image the revision deploys (the registry tag with {version} replaced, or the version). */
    proxyTag: string;
    /** How long the Deployment may take to be deployed and roll out (kubectl duration), and that in seconds. */
    timeout: string;
    timeoutSeconds: number;
    /** Seconds to pause after the rollout, before the next wave's gateways move. Default 0. */
    pauseSeconds?: number;
    /** The user's own Gateway (a manifest): kept in the cluster when it leaves the config. Default false. */
    adopted?: boolean;
    /** The provider that applies the Gateway (one that adopts an existing object, for a manifest). Default: the inherited one. */
    provider?: k8s.Provider;
}

/**
 * A Gateway API `Gateway` of a class istiod deploys: the program applies the Gateway, labelled with its own revision
 * (istio.io/rev), and istiod-<revision> deploys its Deployment and Service. A move to another revision is a change
 * of the label: the new revision's istiod re-deploys it, which the rollout step awaits.
 */
export class GatewayApiGateway extends pulumi.ComponentResource {
    public readonly gateway: k8s.apiextensions.CustomResource;
    /** The step that awaits istiod's Deployment (live stacks). */
    public readonly rollout?: command.local.Command;

    constructor(name: string, args: GatewayApiGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE.gatewayApiGateway, name, {}, opts);
        const gw = args.gateway;
        if (gw.manifest && !gw.manifest.object) {
            throw new pulumi.ResourceError(`${args.configKey}.manifest = ${JSON.stringify(gw.manifest.path)}: the file was not read ` +
                "(the program reads it when the config is checked); run the program from its project directory", this);
        }
        const object = gatewayObject(gw);
        this.gateway = new k8s.apiextensions.CustomResource(name, object, {
            ...childOptions(this, opts),
            // The user's own Gateway goes back to them when it leaves the config, as it came.
            ...(args.adopted ? { retainOnDelete: true } : {}),
            ...(args.provider ? { provider: args.provider } : {}),
        });
        if (args.kubectl) {
            const deployment = gatewayDeploymentName(gw.name, gw.className);
            this.rollout = new command.local.Command(`${name}-rollout`, {
                create: GATEWAY_ROLLOUT_SCRIPT,
                update: GATEWAY_ROLLOUT_SCRIPT,
                interpreter: ["/bin/bash", "-c"],
                // The revision, its version and the proxy tag are the inputs: the step runs again exactly when istiod
                // re-deploys the gateway (its own move, its tag's move, or its revision's in-place upgrade).
                environment: {
                    ...args.kubectl,
                    NAMESPACE: gw.namespace,
                    GATEWAY: gw.name,
                    DEPLOYMENT: deployment,
                    REVISION: args.binding.revision,
                    VERSION: args.binding.version,
                    PROXY_TAG: args.proxyTag,
                    ISTIO_NAMESPACE: args.istioNamespace,
                    TIMEOUT: args.timeout,
                    TIMEOUT_SECONDS: String(args.timeoutSeconds),
                    PAUSE_SECONDS: String(args.pauseSeconds ?? 0),
                },
            }, { parent: this, dependsOn: [this.gateway] });
        }
        this.registerOutputs({});
    }
}
