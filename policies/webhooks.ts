/** Webhooks left behind by a retired revision. */
import { StackValidationPolicy } from "@pulumi/policy";
import { istiodServiceTarget } from "../istio/images";
import { resolveRevision } from "./mesh";
import { meshValidation, reportAt } from "./policy-kit";

export const webhooksRemovedWithRevision: StackValidationPolicy = {
    name: "istio-webhooks-removed-with-revision",
    description:
        "Injector, validator and revision-tag webhooks go away with their revision: none may call the istiod Service of " +
        "a revision the plan does not install, or every pod creation (injector, tag) or Istio config write (validator) " +
        "they match fails with \"service not found\". Delete the webhook together with the revision, or move the tag " +
        "to an installed revision first.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, args, report) => {
        if (mesh.incomplete) {
            return args.notApplicable("a revision or tag name is not known until the update runs");
        }
        const installedServices = new Set([...mesh.revisions.values()].map(r => r.serviceName));
        for (const webhook of mesh.webhooks) {
            for (const service of webhook.services) {
                const target = istiodServiceTarget(service.name);
                if (!target || installedServices.has(service.name)) {
                    continue;
                }
                if ("tag" in target && resolveRevision(mesh, target.tag).revision) {
                    continue;
                }
                const owner = "tag" in target ? `tag ${target.tag}` : `revision ${target.revision}`;
                const qualified = service.namespace ? `${service.namespace}/${service.name}` : service.name;
                const declared = mesh.istiodServices.has(qualified) || mesh.istiodServices.has(service.name)
                    ? " (the Service is declared, but no istiod of that revision runs behind it)"
                    : "";
                const calls = webhook.kind === "ValidatingWebhookConfiguration" ? "Istio config write" : "pod creation";
                reportAt(report, webhook.seenIn,
                    `calls Service ${qualified} of ${owner}, which the plan does not install${declared}; every ${calls} ` +
                    `it matches would fail. Delete this webhook with the revision, or point it at an installed revision`);
            }
        }
    }),
};
