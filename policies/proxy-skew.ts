/** Proxies (gateways and sidecars) against the istiod that serves them. */
import { StackValidationPolicy } from "@pulumi/policy";
import { checkProxySkew } from "../istio/versions";
import { resolveRevision, servingRef } from "./mesh";
import { meshValidation, reportAt } from "./policy-kit";

export const proxyNotNewerThanControlPlane: StackValidationPolicy = {
    name: "istio-proxy-not-newer-than-control-plane",
    description:
        "A proxy (gateway or sidecar) must never run a newer Istio than the istiod revision that injects and serves it, " +
        "and istiod may be at most one minor ahead of it. Leave gateways at `image: auto` so they take the version of " +
        "their revision; if an image must be pinned, pin one within that skew, and upgrade istiod before the proxies.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, _args, report) => {
        // Proxies at `image: auto` run their revision's version by construction; only pinned ones can drift.
        for (const proxy of mesh.proxies) {
            if (!proxy.pinnedVersion) {
                continue;
            }
            const ref = servingRef(mesh, proxy);
            const { revision, tag } = ref ? resolveRevision(mesh, ref) : {};
            if (!revision?.version) {
                continue;
            }
            const verdict = checkProxySkew(proxy.pinnedVersion, revision.version);
            if (!verdict.ok) {
                const via = tag ? ` (via tag ${tag.tag})` : "";
                reportAt(report, proxy.seenIn[0],
                    `${proxy.kind} pins proxy image ${proxy.pinnedImage} and is served by revision ${revision.name}${via}: ${verdict.reason}`);
            }
        }
    }),
};
