/**
 * Istio's object, container and image conventions beyond names.ts: which Service a webhook points at, the
 * containers of istiod, proxies and CNI, and the version an image tag stands for.
 * Sources: istio/istio manifests/charts (istiod deployment.yaml, base defaultrevision-validatingwebhookconfiguration.yaml,
 * gateway deployment.yaml, istio-cni daemonset.yaml) and the injection docs.
 */
import { DEFAULT_TAG, istiodName, tagServiceName } from "./names";
import { parseVersion } from "./versions";

/**
 * The Service and Deployment of the unrevisioned control plane (chart `revision: ""`, labelled `istio.io/rev: default`);
 * the base chart's `defaultRevision: default` points its validator here.
 */
export const UNREVISIONED_ISTIOD = "istiod";

/** What an istiod Service name stands for: a revision's Service, a tag's Service (charts 1.28+), or neither. */
export function istiodServiceTarget(serviceName: string): { revision: string } | { tag: string } | undefined {
    const tagPrefix = tagServiceName("");
    if (serviceName.startsWith(tagPrefix)) {
        return { tag: serviceName.slice(tagPrefix.length) };
    }
    if (serviceName === UNREVISIONED_ISTIOD) {
        return { revision: DEFAULT_TAG };
    }
    const revisionPrefix = istiodName("");
    return serviceName.startsWith(revisionPrefix) ? { revision: serviceName.slice(revisionPrefix.length) } : undefined;
}

/** The istiod container in the istiod Deployment. */
export const ISTIOD_CONTAINER = "discovery";
/** The `app` label of istiod's Deployment and pods. */
export const ISTIOD_APP = "istiod";
/** The proxy container of sidecars and gateways; `image: auto` lets the injecting revision choose the image. */
export const PROXY_CONTAINER = "istio-proxy";
export const PROXY_IMAGE_AUTO = "auto";
/** Pod annotation pinning the proxy image of an injected workload. */
export const PROXY_IMAGE_ANNOTATION = "sidecar.istio.io/proxyImage";
/** Pod label/annotation opting a pod into injection by the default revision. */
export const INJECT_LABEL = "sidecar.istio.io/inject";
/** The istio-cni node agent: one privileged DaemonSet, whose container runs the `install-cni` image. */
export const CNI_DAEMONSET = "istio-cni-node";
export const CNI_IMAGE = "install-cni";

/** Image variants Istio publishes as tag suffixes (`1.30.2-distroless`); the suffix does not change the version. */
const IMAGE_VARIANT_SUFFIX = /-(distroless|debug)$/;

/** The repository part of an image reference ("hub/pilot"), without tag or digest. */
export function imageRepository(image: string): string {
    const withoutDigest = image.split("@")[0];
    const lastSlash = withoutDigest.lastIndexOf("/");
    const colon = withoutDigest.lastIndexOf(":");
    return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** The image name without hub ("pilot" for "docker.io/istio/pilot:1.30.2"). */
export function imageName(image: string): string {
    const repository = imageRepository(image);
    return repository.slice(repository.lastIndexOf("/") + 1);
}

/** The Istio version an image tag or a `global.tag` value stands for ("1.30.2-distroless" -> "1.30.2"), if any. */
export function versionOfTag(tag: string): string | undefined {
    return parseVersion(tag.replace(IMAGE_VARIANT_SUFFIX, ""))?.raw;
}

/** The Istio version of an image ("hub/proxyv2:1.29.3" -> "1.29.3"); undefined for untagged, digest-only or non-version tags. */
export function imageVersion(image: string): string | undefined {
    const withoutDigest = image.split("@")[0];
    const repository = imageRepository(withoutDigest);
    return repository.length < withoutDigest.length ? versionOfTag(withoutDigest.slice(repository.length + 1)) : undefined;
}

/**
 * Where Istio publishes its release images without credentials: Docker Hub, the GCR mirror, and the registry
 * 1.30 defaults to (being retired: set `global.hub` explicitly).
 */
export const ISTIO_PUBLIC_HUBS: readonly string[] = ["docker.io/istio", "gcr.io/istio-release", "registry.istio.io"];
