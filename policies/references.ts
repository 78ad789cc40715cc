/** Everything that names a revision or a tag must name one the plan installs. */
import { StackValidationPolicy } from "@pulumi/policy";
import { INJECT_LABEL } from "../istio/images";
import { DEFAULT_TAG, INJECTION_LABEL, REV_LABEL } from "../istio/names";
import { MeshObservation, revisionsOldestFirst, servingRef, versionedRevisions } from "./mesh";
import { meshValidation, reportAt } from "./policy-kit";

/** A revision or tag of that name exists (a tag pointing nowhere is reported once, at the tag). */
function isInstalledName(mesh: MeshObservation, ref: string): boolean {
    return mesh.tags.has(ref) || mesh.revisions.has(ref);
}

function hasDefault(mesh: MeshObservation): boolean {
    return isInstalledName(mesh, DEFAULT_TAG);
}

/** "one of 1-29, 1-30, tag stable" (oldest first), for the fix in a message. */
function installedNames(mesh: MeshObservation): string {
    const names = [...revisionsOldestFirst(mesh).map(r => r.name), ...[...mesh.tags.keys()].map(t => `tag ${t}`)];
    return names.length > 0 ? `one of ${names.join(", ")}` : "a revision the plan installs";
}

function newestRevision(mesh: MeshObservation): string {
    return versionedRevisions(mesh).pop()?.name ?? revisionsOldestFirst(mesh)[0]?.name ?? "<revision>";
}

export const revisionReferencesInstalled: StackValidationPolicy = {
    name: "istio-revision-references-installed",
    description:
        "Namespaces (`istio.io/rev`), gateways, revision tags and the base chart's `defaultRevision` must name a revision " +
        "or tag that the plan installs, and `istio-injection=enabled` namespaces (and gateways without a revision) need " +
        "a `default` tag pointing at an installed revision. Point them at an installed revision or tag, or keep the " +
        "revision until nothing refers to it.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, args, report) => {
        if (!mesh.declaresIstio) {
            return args.notApplicable("the plan declares no Istio chart, control plane, tag or webhook");
        }
        if (mesh.incomplete) {
            return args.notApplicable("a revision or tag name is not known until the update runs");
        }
        const fix = `use ${installedNames(mesh)}`;
        const defaultFix = `add tag ${DEFAULT_TAG} pointing at revision ${newestRevision(mesh)}, or label with ${REV_LABEL} instead`;

        for (const [tag, targets] of mesh.tags) {
            for (const target of targets) {
                if (!mesh.revisions.has(target.revision)) {
                    reportAt(report, target.seenIn,
                        `tag ${tag} points at revision ${target.revision}, which the plan does not install; ` +
                        `move the tag to an installed revision before retiring ${target.revision}`);
                }
            }
        }
        for (const ns of mesh.namespaces.values()) {
            const origin = ns.seenIn[ns.seenIn.length - 1];
            const rev = ns.labels[REV_LABEL];
            if (rev !== undefined && !isInstalledName(mesh, rev)) {
                reportAt(report, origin, `${REV_LABEL}=${rev} names no revision or tag the plan installs; ${fix}`);
            }
            if (ns.labels[INJECTION_LABEL] === "enabled" && !hasDefault(mesh)) {
                reportAt(report, origin,
                    `${INJECTION_LABEL}=enabled is served by the ${DEFAULT_TAG} tag, and nothing holds it, so its pods ` +
                    `get no sidecar; ${defaultFix}`);
            }
        }
        for (const proxy of mesh.proxies) {
            if (proxy.revisionRef !== undefined && !isInstalledName(mesh, proxy.revisionRef)) {
                reportAt(report, proxy.seenIn[0], `${proxy.kind} names revision ${proxy.revisionRef}, which the plan does not install; ${fix}`);
            } else if (proxy.kind === "gateway" && proxy.injectsDefault && !hasDefault(mesh)) {
                reportAt(report, proxy.seenIn[0],
                    `gateway names no revision, so the ${DEFAULT_TAG} tag must inject it, and nothing holds that tag; ` +
                    `set the gateway's revision, or ${defaultFix}`);
            } else if (proxy.injectsDefault && servingRef(mesh, proxy) === DEFAULT_TAG && !hasDefault(mesh)) {
                reportAt(report, proxy.seenIn[0],
                    `${proxy.kind} opts in with ${INJECT_LABEL}=true in namespace ${proxy.namespace}, which names no revision, ` +
                    `so the ${DEFAULT_TAG} tag must inject it, and nothing holds that tag: its pods get no sidecar; ` +
                    `label namespace ${proxy.namespace} with ${REV_LABEL}, or ${defaultFix}`);
            }
        }
        for (const reference of mesh.defaultRevisionRefs) {
            if (!mesh.revisions.has(reference.ref)) {
                reportAt(report, reference.seenIn,
                    `${reference.what} ${reference.ref} is not a revision the plan installs, so istiod-default-validator ` +
                    `would call a Service that does not exist; set it to ${newestRevision(mesh)} (or empty)`);
            }
        }
    }),
};
