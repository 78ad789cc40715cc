/**
 * The Kubernetes Gateway API as Istio uses it: which Gateway API releases each Istio minor is built against and
 * supports, the releases the program can install, and the objects istiod deploys for a `Gateway`.
 *
 * Why a table: the Gateway API CRDs are a separate install whose version must suit the Istio version
 * (istio/istio#59443), and Istio's docs carry no matrix yet (istio/istio.io#17393, istio/istio#60354). Each row names
 * its source. When Istio ships a minor, this table is the one file to change.
 */
import * as yaml from "js-yaml";
import { CRD_KIND, CrdBundle, crdDigest, manifestObjects } from "./crds";
import { REV_LABEL } from "./names";
import { compareVersions, minorOf, parseVersion } from "./versions";

/** The Gateway API's API group: Gateway, GatewayClass, HTTPRoute... */
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

/** The two CRD channels of a Gateway API release; `experimental` adds alpha kinds and fields. */
export const GATEWAY_API_CHANNELS = ["standard", "experimental"] as const;
export type GatewayApiChannel = typeof GATEWAY_API_CHANNELS[number];

/** The listener protocols of a Gateway that istiod serves. */
export const GATEWAY_LISTENER_PROTOCOLS = ["HTTP", "HTTPS", "TLS", "TCP"] as const;
export type GatewayListenerProtocol = typeof GATEWAY_LISTENER_PROTOCOLS[number];

/** The config value that leaves the Gateway API CRDs to someone else. */
export const GATEWAY_API_UNMANAGED = "unmanaged";

/** The class istiod deploys a gateway for (a Deployment and a Service), and the class of ambient waypoints. */
export const GATEWAY_CLASS = { istio: "istio", waypoint: "istio-waypoint" } as const;

/**
 * The Gateway API releases whose CRDs the program can install: the `sigs.k8s.io/gateway-api` module versions the Go
 * module proxy serves (https://proxy.golang.org/sigs.k8s.io/gateway-api/@v/list, read 2026-12-05; pre-releases left
 * out). The CRD manifests are in the module, under config/crd/<channel>/.
 */
export const GATEWAY_API_RELEASES = [
    "1.1.0", "1.2.1", "1.3.0", "1.4.1", "1.5.0", "1.5.1", "1.6.0", "1.6.1", "1.6.2", "1.6.3", "1.7.0",
] as const;

export interface GatewayApiSupport {
    /** The Istio minor, e.g. "1.30". */
    readonly istio: string;
    /** The `sigs.k8s.io/gateway-api` version the minor's release branch requires in go.mod: what it is built and tested against. */
    readonly builtAgainst?: string;
    /** The oldest and newest Gateway API minor the row supports, e.g. ["1.5", "1.6"]. */
    readonly supported?: readonly [string, string];
    /** False: no source checked for this minor; pairs with it are applied with a warning, never refused. */
    readonly verified: boolean;
    /** Where the row comes from. */
    readonly source: string;
}

/**
 * Each verified Istio minor supports the Gateway API minor it is built against and the next one: the standard
 * channel's v1 kinds only gain fields between minors (Gateway API's versioning policy), and the next Istio minor is
 * built against that next one, so a canary upgrade runs both control planes on one set of CRDs, raised first.
 * Older Gateway API minors are refused: Istio's analyzer IST0176 reports kinds below the minimum a minor requires as
 * "not processed" (https://istio.io/latest/docs/reference/config/analysis/ist0176/).
 */
export const GATEWAY_API_SUPPORT: readonly GatewayApiSupport[] = [
    {
        istio: "1.30", builtAgainst: "1.5.1", supported: ["1.5", "1.6"], verified: true,
        source: "istio.io/istio go.mod on release-1.30 (module v0.0.0-20260826214018-9739e10eb9d7: sigs.k8s.io/gateway-api v1.5.1)",
    },
    {
        istio: "1.31", builtAgainst: "1.6.0", supported: ["1.6", "1.7"], verified: true,
        source: "istio.io/istio go.mod on release-1.31 (module v0.0.0-20260827124520-eed52ebb66ad: sigs.k8s.io/gateway-api v1.6.0)",
    },
    ...["1.24", "1.25", "1.26", "1.27", "1.28", "1.29"].map(istio => ({
        istio, verified: false, source: "not checked: minors before 1.30 are not in the offline toolchain",
    })),
];

/** The support row of an Istio version's minor, or undefined when the table does not know it. */
export function gatewayApiSupportFor(istioVersion: string): GatewayApiSupport | undefined {
    return parseVersion(istioVersion) ? GATEWAY_API_SUPPORT.find(row => row.istio === minorOf(istioVersion)) : undefined;
}

/** Whether `version` is a Gateway API release the program can install. */
export function isGatewayApiRelease(version: string): boolean {
    return (GATEWAY_API_RELEASES as readonly string[]).includes(version);
}

/** Whether the minor of release `version` lies in the range of minors (both ends included). */
function inMinors(version: string, minors: readonly [string, string]): boolean {
    const minor = `${minorOf(version)}.0`;
    return compareVersions(minor, `${minors[0]}.0`) >= 0 && compareVersions(minor, `${minors[1]}.0`) <= 0;
}

export type GatewayApiVerdict =
    | { readonly status: "supported" }
    /** Applied with a warning: the table has no verified row for the minor. */
    | { readonly status: "unverified"; readonly reason: string }
    | { readonly status: "unsupported"; readonly reason: string; readonly supported: readonly string[] };

/**
 * Whether Istio `istioVersion` supports the Gateway API CRDs of release `gatewayApiVersion`. The reason names both
 * versions, and an unsupported pair lists the releases that suit that Istio version.
 */
export function checkGatewayApiPair(istioVersion: string, gatewayApiVersion: string): GatewayApiVerdict {
    const row = gatewayApiSupportFor(istioVersion);
    if (!row || !row.verified || !row.supported) {
        return {
            status: "unverified",
            reason: `which Gateway API releases Istio ${istioVersion} supports is not verified (the table in istio/gatewayApi.ts has no checked row for ` +
                `${parseVersion(istioVersion) ? minorOf(istioVersion) : istioVersion}), so Gateway API ${gatewayApiVersion} is applied unchecked`,
        };
    }
    if (inMinors(gatewayApiVersion, row.supported)) {
        return { status: "supported" };
    }
    return {
        status: "unsupported",
        reason: `Istio ${istioVersion} supports Gateway API ${row.supported[0]}.x to ${row.supported[1]}.x (built against ${row.builtAgainst}), ` +
            `not Gateway API ${gatewayApiVersion}`,
        supported: GATEWAY_API_RELEASES.filter(v => inMinors(v, row.supported!)),
    };
}

/**
 * The Gateway API releases that suit every Istio version of `istioVersions` (verified rows only; an unverified
 * minor constrains nothing), newest last: the versions a fix can name.
 */
export function gatewayApiReleasesFor(istioVersions: readonly string[]): string[] {
    return GATEWAY_API_RELEASES.filter(v => istioVersions.every(i => checkGatewayApiPair(i, v).status !== "unsupported"));
}

/** The name istiod gives the Deployment and Service of a Gateway: `<gateway>-<class>` (Istio's gateway deployment controller). */
export function gatewayDeploymentName(gateway: string, className: string): string {
    // istiod's waypoint class has no name suffix (pilot/pkg/config/kube/gatewaycommon/classinfo.go: DisableNameSuffix).
    return className === GATEWAY_CLASS.waypoint ? gateway : `${gateway}-${className}`;
}

/** The label istiod puts on the pods of a Gateway's Deployment, naming the Gateway. */
export const GATEWAY_NAME_LABEL = `${GATEWAY_API_GROUP}/gateway-name`;

/** The annotation on a Gateway that chooses its Service's type (Istio's, for classes it deploys). */
export const GATEWAY_SERVICE_TYPE_ANNOTATION = "networking.istio.io/service-type";

/** The Go module whose tree holds each release's CRD manifests, under config/crd/<channel>/. */
export const GATEWAY_API_MODULE = "sigs.k8s.io/gateway-api";

/**
 * The directory of a release's manifests in a Go module cache (`go env GOMODCACHE`), where
 * `go mod download sigs.k8s.io/gateway-api@v<version>` leaves them.
 */
export function gatewayApiManifestDir(moduleCache: string, version: string, channel: GatewayApiChannel): string {
    return `${moduleCache}/${GATEWAY_API_MODULE}@v${version}/config/crd/${channel}`;
}

interface ManifestObject { kind?: string; apiVersion?: string; metadata?: { name?: string } }

/**
 * The objects of a release's manifests (the files of its channel's directory, kustomization.yaml left out) as one
 * bundle: its CRDs and, from 1.5, the ValidatingAdmissionPolicy (and binding) that guards them against unsafe
 * upgrades. Objects sorted by kind and name, so the digest depends on their content only. `names` are the CRDs'.
 */
export function gatewayApiBundle(files: readonly { name: string; text: string }[], source: string): CrdBundle {
    const objects = files.filter(f => f.name.endsWith(".yaml") && f.name !== "kustomization.yaml")
        .flatMap(f => manifestObjects(f.text) as ManifestObject[])
        .sort((a, b) => `${a.kind}/${a.metadata?.name}`.localeCompare(`${b.kind}/${b.metadata?.name}`));
    const names = objects.filter(o => o.kind === CRD_KIND).map(o => o.metadata?.name ?? "");
    if (!names.includes(`gateways.${GATEWAY_API_GROUP}`)) {
        throw new Error(`${source} holds no CustomResourceDefinition gateways.${GATEWAY_API_GROUP}: it is not a Gateway API release's config/crd directory`);
    }
    const text = objects.map(o => yaml.dump(o, { noRefs: true, lineWidth: -1 })).join("---\n");
    return { names, yaml: text, digest: crdDigest(text) };
}

/**
 * The Gateway a pod serves and the revision whose istiod deployed it, from the labels and annotation istiod's
 * gateway template writes (`gateway.networking.k8s.io/gateway-name`, and `istio.io/rev` as an annotation); undefined
 * for any other pod.
 */
export function gatewayPod(pod: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } }):
    { gateway: string; revision: string } | undefined {
    const gateway = pod.metadata?.labels?.[GATEWAY_NAME_LABEL];
    const revision = pod.metadata?.annotations?.[REV_LABEL];
    return gateway && revision ? { gateway, revision } : undefined;
}
