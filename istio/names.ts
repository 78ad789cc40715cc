/**
 * The names and labels Istio gives its objects, so components and policies agree on them.
 * Source: the istiod, base and gateway Helm charts (istio/istio manifests/charts).
 */

/** Namespace/pod label binding workloads to a revision or tag. */
export const REV_LABEL = "istio.io/rev";
/** Label set on revision-tag webhooks and Services. */
export const TAG_LABEL = "istio.io/tag";
/** Legacy namespace label: `enabled` means "inject with whatever holds the default tag". */
export const INJECTION_LABEL = "istio-injection";
/** The tag that owns `istio-injection=enabled`, default validation and the mesh-wide leader lock. */
export const DEFAULT_TAG = "default";
/** The namespace istiod runs in unless configured otherwise. */
export const DEFAULT_ISTIO_NAMESPACE = "istio-system";

/** A revision as the program's messages name it: `1-30 (1.30.2)`. */
export function revisionWithVersion(r: { revision: string; version: string }): string {
    return `${r.revision} (${r.version})`;
}

/** istiod Deployment and Service of a revision. */
export function istiodName(revision: string): string {
    return `istiod-${revision}`;
}

/** The sidecar injector webhook of a revision. */
export function injectorWebhookName(revision: string): string {
    return `istio-sidecar-injector-${revision}`;
}

/** The validating webhook of a revision. */
export function validatorWebhookName(revision: string, istioNamespace: string): string {
    return `istio-validator-${revision}-${istioNamespace}`;
}

/** The default validator rendered by the base chart for the revision holding the `default` tag. */
export const DEFAULT_VALIDATOR_NAME = "istiod-default-validator";

/** A revision tag's MutatingWebhookConfiguration (suffixed with the namespace outside istio-system). */
export function tagWebhookName(tag: string, istioNamespace: string): string {
    return istioNamespace === DEFAULT_ISTIO_NAMESPACE ? `istio-revision-tag-${tag}` : `istio-revision-tag-${tag}-${istioNamespace}`;
}

/** A revision tag's Service (charts 1.28+). */
export function tagServiceName(tag: string): string {
    return `istiod-revision-tag-${tag}`;
}

/** Kubernetes DNS-1123 label: what revision, tag, gateway and namespace names must be. */
export function isDnsLabel(name: string): boolean {
    return typeof name === "string" && name.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

/**
 * Annotations istio-mesh records on the objects it installs, for the policy pack, which sees only the new state
 * of a plan: what a revision was upgraded in place from, the cluster's Kubernetes version (both on istiod, via
 * the chart's deploymentAnnotations), and a gateway's proxy version (on its pods, so an in-place upgrade of its
 * revision rolls it).
 */
export const ANNOTATION = {
    upgradedFrom: "istio-mesh.dev/upgraded-from",
    kubernetesVersion: "istio-mesh.dev/kubernetes-version",
    proxyVersion: "istio-mesh.dev/proxy-version",
    /** On a Secret rendered without its data (render mode never writes credentials): create the real one by hand. */
    placeholder: "istio-mesh.dev/placeholder",
} as const;

/** The longest name a Service (and any DNS-1035 label) may have: revision and tag names end up in them. */
export const MAX_LABEL_LENGTH = 63;

/** Kubernetes DNS-1035 label: what Service names must be (a letter first). Gateway names are Service names. */
export function isServiceName(name: string): boolean {
    return isDnsLabel(name) && /^[a-z]/.test(name);
}
