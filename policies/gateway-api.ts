/** The Gateway API CRDs against the control planes: each revision's Istio minor supports a range of Gateway API releases. */
import { StackValidationPolicy } from "@pulumi/policy";
import { manifestObjects } from "../istio/crds";
import { checkGatewayApiPair, GATEWAY_API_GROUP } from "../istio/gatewayApi";
import { versionedRevisions } from "./mesh";
import { meshValidation } from "./policy-kit";
import { snapshot } from "./resources";

/** The step that applies the release (components/gatewayApiCrds.ts), and the annotation each release's CRDs carry. */
const CRDS_STEP = { type: "command:local:Command", name: "gateway-api-crds" };
const BUNDLE_VERSION = `${GATEWAY_API_GROUP}/bundle-version`;

interface Release { version: string; what: string; urn?: string }

/**
 * The Gateway API releases a plan applies: the program's step (its GATEWAY_API_VERSION), and CRDs of the group
 * declared as objects or in a ConfigGroup (render mode, or your own), by their bundle-version annotation.
 */
export function gatewayApiReleases(resources: readonly { type: string; name: string; urn?: string; props: Record<string, any> }[]): Release[] {
    const found = new Map<string, Release>();
    for (const r of resources) {
        const props = snapshot(r.props).value;
        if (r.type === CRDS_STEP.type && r.name === CRDS_STEP.name) {
            const version = props.environment?.GATEWAY_API_VERSION;
            if (typeof version === "string") {
                found.set(version, { version, what: `step ${r.name}`, urn: r.urn });
            }
            continue;
        }
        const docs = typeof props.yaml === "string" ? manifestObjects(props.yaml) : props.kind ? [props] : [];
        for (const o of docs as { kind?: string; metadata?: { name?: string; annotations?: Record<string, string> }; spec?: { group?: string } }[]) {
            const version = o?.kind === "CustomResourceDefinition" && o.spec?.group === GATEWAY_API_GROUP ? o.metadata?.annotations?.[BUNDLE_VERSION] : undefined;
            if (version && !found.has(version.replace(/^v/, ""))) {
                found.set(version.replace(/^v/, ""), { version: version.replace(/^v/, ""), what: `CustomResourceDefinition ${o.metadata?.name}`, urn: r.urn });
            }
        }
    }
    return [...found.values()];
}

export const gatewayApiSupported: StackValidationPolicy = {
    name: "istio-gateway-api-version-supported",
    description:
        "The Gateway API CRDs must be of a release every revision's Istio minor supports (istio/gatewayApi.ts, from the Gateway API " +
        "version each Istio release branch is built against): Istio ignores kinds below its minimum and is not tested against newer " +
        "minors. In a canary upgrade, raise the CRDs to a release both minors share first.",
    enforcementLevel: "mandatory",
    validateStack: meshValidation((mesh, args, report) => {
        const releases = gatewayApiReleases(args.resources);
        for (const release of releases) {
            for (const revision of versionedRevisions(mesh)) {
                const verdict = checkGatewayApiPair(revision.version, release.version);
                if (verdict.status === "unsupported") {
                    report(`${release.what}: revision ${revision.name}: ${verdict.reason}; use one of ${verdict.supported.join(", ")}`, release.urn);
                }
            }
        }
    }),
};
