import * as pulumi from "@pulumi/pulumi";

/**
 * Options for a component's direct children: parented to it and waiting for what the component waits for
 * (a component's dependsOn does not hold back its children by itself).
 */
export function childOptions(parent: pulumi.Resource, opts?: pulumi.ComponentResourceOptions): pulumi.CustomResourceOptions {
    return { parent, dependsOn: opts?.dependsOn };
}
