import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { REV_LABEL } from "../istio";
import { Binding } from "../model/facts";
import { TYPE } from "./types";

export interface NamespaceBindingArgs {
    /** An existing application namespace: labelled, never created or deleted. */
    namespace: string;
    /** The revision or tag it is bound to, resolved. */
    binding: Binding;
    /**
     * Set when the namespace's label was changed outside the program since it last applied it (observed at
     * program time): what it was changed to, and the namespace's resourceVersion. Written as an annotation, so the
     * patch has a new input and the label is taken back on this `up`, without `--refresh`. Unset: the last value
     * is kept, so runs without such a change show no diff. Default unset.
     */
    takenBackFrom?: string;
}

/** Annotation recording the last label the program took back from a change made outside it. */
export const TAKEN_BACK_ANNOTATION = "istio-mesh.dev/label-taken-back-from";

/**
 * Where a binding's patch lived when each binding was a `NamespaceBinding` component of its own (its only child).
 * Given as the patch's alias, so stacks created then keep their patches: a delete would remove the label.
 */
export function formerBindingPatchUrn(name: string): string {
    return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${TYPE.mesh}$${TYPE.namespaceBinding}$kubernetes:core/v1:NamespacePatch::${name}`;
}

/**
 * Binds one application namespace to a revision: a server-side-apply patch of its `istio.io/rev` label, a direct
 * child of IstioMesh. One engine resource per namespace, not a component around it: at 1,000 namespaces each
 * resource costs the SDK and the engine time on every preview, and the preview reads the same. Deleting the
 * binding removes the label and leaves the namespace and its workloads alone. The restart of its workloads is
 * IstioMesh's `workload-restarts` step, one for all namespaces.
 */
export function bindNamespace(name: string, args: NamespaceBindingArgs, opts: pulumi.CustomResourceOptions): k8s.core.v1.NamespacePatch {
    return new k8s.core.v1.NamespacePatch(name, {
        metadata: {
            name: args.namespace,
            labels: { [REV_LABEL]: args.binding.target },
            // Take the label over from whoever set it by hand (kubectl label) before the program managed it.
            annotations: { "pulumi.com/patchForce": "true", ...(args.takenBackFrom ? { [TAKEN_BACK_ANNOTATION]: args.takenBackFrom } : {}) },
        },
    }, {
        ...opts,
        aliases: [formerBindingPatchUrn(name)],
        ignoreChanges: args.takenBackFrom ? [] : [`metadata.annotations["${TAKEN_BACK_ANNOTATION}"]`],
    });
}
