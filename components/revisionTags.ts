import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { tagService, tagWebhook } from "../istio";
import { childOptions } from "./options";
import { TYPE } from "./types";

export interface RevisionTagsArgs {
    /** tag -> the revision it points at, with that revision's version (the tag objects follow its chart layout). */
    tags: { name: string; revision: string; version: string }[];
    istioNamespace: string;
}

/**
 * Revision tags: one MutatingWebhookConfiguration per tag (and, for 1.28+ targets, one Service), rendered
 * like the istiod chart renders them. Each tag is one object, so moving a tag is an in-place update of its
 * target: the preview says `istiod-1-29 -> istiod-1-30`, and nothing is deleted and recreated.
 */
export class RevisionTags extends pulumi.ComponentResource {
    private readonly objects = new Map<string, pulumi.Resource[]>();

    constructor(name: string, args: RevisionTagsArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE.tags, name, {}, opts);
        for (const tag of args.tags) {
            const webhook = tagWebhook({ tag: tag.name, revision: tag.revision, istioNamespace: args.istioNamespace });
            const objects: pulumi.Resource[] = [new k8s.admissionregistration.v1.MutatingWebhookConfiguration(`tag-${tag.name}`, webhook, {
                ...childOptions(this, opts),
                // istiod patches caBundle into the webhooks of its revision; the program must not fight it.
                ignoreChanges: ["webhooks[*].clientConfig.caBundle", "webhooks[*].failurePolicy"],
            })];
            const service = tagService({ tag: tag.name, revision: tag.revision, version: tag.version, istioNamespace: args.istioNamespace });
            if (service) {
                objects.push(new k8s.core.v1.Service(`tag-${tag.name}`, service, childOptions(this, opts)));
            }
            this.objects.set(tag.name, objects);
        }
        this.registerOutputs({});
    }

    /**
     * The objects of one tag (its webhook, and Service where the chart has one), for what is bound to it to depend on;
     * none when `label` is a revision, not a tag. Narrower than the whole component: a namespace on a revision
     * waits for no tag, and each resource depending on the component would wait on every tag object in turn.
     */
    public objectsOf(label: string): pulumi.Resource[] {
        return this.objects.get(label) ?? [];
    }
}
