import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL, REV_LABEL, USE_WAYPOINT_LABEL } from "../istio";
import { Binding } from "../model/facts";
import { TYPE } from "./types";

/** Binds a namespace to sidecars of a revision (istio.io/rev), or to the ambient mesh (istio.io/dataplane-mode=ambient). */
export type NamespaceBindingArgs = SidecarBindingArgs | {
    namespace: string;
    ambient: true;
    /** The waypoint its traffic goes through (istio.io/use-waypoint). Default: none. */
    useWaypoint?: string;
};

export interface SidecarBindingArgs {
    /** An existing application namespace: labelled, never created or deleted. */
    namespace: string;
    ambient?: false;
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
    // The patch applies only the labels it names: switching between the two drops the other (server-side apply removes
    // the fields its manager no longer sets), so a namespace moved to ambient loses istio.io/rev in the same write.
    const takenBackFrom = args.ambient ? undefined : args.takenBackFrom;
    return new k8s.core.v1.NamespacePatch(name, {
        metadata: {
            name: args.namespace,
            labels: args.ambient
                ? { [DATAPLANE_MODE_LABEL]: AMBIENT_MODE, ...(args.useWaypoint ? { [USE_WAYPOINT_LABEL]: args.useWaypoint } : {}) }
                : { [REV_LABEL]: args.binding.target },
            // Take the label over from whoever set it by hand (kubectl label) before the program managed it.
            annotations: { "pulumi.com/patchForce": "true", ...(takenBackFrom ? { [TAKEN_BACK_ANNOTATION]: takenBackFrom } : {}) },
        },
    }, {
        ...opts,
        aliases: [formerBindingPatchUrn(name)],
        ignoreChanges: takenBackFrom ? [] : [`metadata.annotations["${TAKEN_BACK_ANNOTATION}"]`],
    });
}

/**
 * How many namespace patches may await their registration at once. Until the engine answers a registration the
 * Node SDK holds some 100 KB of promises and closures for it: registered all at once, 5,000 patches peaked at 740 MB
 * (`npm run bench`); 50 at a time keeps the peak near 450 MB and the run shorter. Far above what the engine
 * applies in parallel, so an `up` is not slowed.
 */
export const BINDINGS_IN_FLIGHT = 50;

/**
 * Registers one patch per item in the items' order, at most `inFlight` of them awaiting their registration at a
 * time: the next starts when the one `inFlight` places before it is registered. The engine sees the same
 * resources, dependencies and order as when all are registered at once. Resolves with every patch once each
 * registration has ended; a failed one is reported by the SDK as always and does not stop the others.
 */
export async function bindPaced<T>(items: readonly T[], bind: (item: T) => pulumi.CustomResource,
                                   inFlight = BINDINGS_IN_FLIGHT): Promise<pulumi.CustomResource[]> {
    const bound: pulumi.CustomResource[] = [];
    const registered: Promise<unknown>[] = [];
    for (const [i, item] of items.entries()) {
        if (i >= inFlight) {
            await registered[i - inFlight];
        }
        const patch = bind(item);
        bound.push(patch);
        registered.push(registration(patch));
    }
    await Promise.all(registered);
    return bound;
}

/**
 * Settles when the engine has answered the resource's registration, whether it succeeded or not. The URN's
 * promise is the SDK's own (internal) way to await an output; `apply` would never call back on a failure.
 */
function registration(resource: pulumi.CustomResource): Promise<unknown> {
    return (resource.urn as unknown as { promise(): Promise<string> }).promise().catch(() => undefined);
}
