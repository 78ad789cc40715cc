import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { REV_LABEL } from "../istio";
import { Binding } from "../spec/facts";
import { RESTART_ON_CHANGE_SCRIPT, RESTART_SCRIPT } from "./kubectl";
import { childOptions } from "./options";

export interface NamespaceBindingArgs {
    /** An existing application namespace: labelled, never created or deleted. */
    namespace: string;
    /** The revision or tag it is bound to, resolved. */
    binding: Binding;
    /**
     * Environment for kubectl (cluster access). When set, the namespace's workloads restart when first bound and whenever its effective revision or version changes
     * (a label-only change, such as a tag replaced by the revision it points at, restarts nothing). Unset in render mode.
     */
    kubectlEnvironment?: Record<string, string>;
    /** How long each workload's rollout may take (kubectl duration). Default "5m". */
    restartTimeout?: string;
}

/**
 * Binds one application namespace to a revision: a server-side-apply patch of its `istio.io/rev` label
 * (deleting the binding removes the label and leaves the namespace and its workloads alone), and a restart of
 * its workloads exactly when what injects them changes.
 */
export class NamespaceBinding extends pulumi.ComponentResource {
    public readonly patch: k8s.core.v1.NamespacePatch;
    /** The restart of this namespace's workloads; its stdout lists what restarted. */
    public readonly restart?: command.local.Command;

    constructor(name: string, args: NamespaceBindingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-mesh:index:NamespaceBinding", name, {}, opts);
        const env = args.kubectlEnvironment;
        this.patch = new k8s.core.v1.NamespacePatch(name, {
            metadata: {
                name: args.namespace,
                labels: { [REV_LABEL]: args.binding.target },
                // Take the label over from whoever set it by hand (kubectl label) before the program managed it.
                annotations: { "pulumi.com/patchForce": "true" },
            },
        }, childOptions(this, opts));
        if (env) {
            this.restart = new command.local.Command(`${name}-restart`, {
                create: RESTART_SCRIPT,
                update: RESTART_ON_CHANGE_SCRIPT,
                interpreter: ["/bin/bash", "-c"],
                environment: {
                    ...env, NAMESPACE: args.namespace, REVISION: args.binding.revision,
                    VERSION: args.binding.version, TIMEOUT: args.restartTimeout ?? "5m",
                },
            }, { parent: this, dependsOn: [this.patch] });
        }
        this.registerOutputs({ revision: args.binding.revision, version: args.binding.version });
    }
}
