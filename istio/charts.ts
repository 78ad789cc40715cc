/**
 * The official Istio Helm charts and how their values are laid out per Istio version.
 *
 * Every per-version difference in chart values lives here, so components only say *what* they want
 * (a revision, a hub, CNI on) and this module says *where* each chart version expects it. Each function builds
 * the one values tree of a release; both renderers take that tree: the Helm renderer as chart values, the
 * istioctl renderer through istioctl.ts.
 * Sources: istio/istio manifests/charts (values.yaml of base, istiod, gateway, cni) and release notes:
 * - CNI: istiod's switch is `pilot.cni.enabled` from 1.24; before, `istio_cni.enabled` / `istio_cni.chained`.
 *   The cni chart's own settings moved from under `cni:` to the top level in 1.24.
 * - Revision tags: the istiod chart renders them from `revisionTags`; 1.28 renamed the template and added a
 *   Service per tag (see tags.ts, which renders tags outside the charts).
 */
import { ANNOTATION, DEFAULT_ISTIO_NAMESPACE } from "./names";
import { compareVersions } from "./versions";

/** Chart names in Istio's repositories. */
export const CHART = {
    base: "base",
    istiod: "istiod",
    gateway: "gateway",
    cni: "cni",
    ztunnel: "ztunnel",
} as const;
export type ChartName = typeof CHART[keyof typeof CHART];

/**
 * The official chart repository. The old GCS bucket is retired in December 2026 and 1.31 is not published
 * there; the HTTPS mirror `https://blob.istio.io/istio-release/charts` serves the same charts.
 */
export const DEFAULT_CHART_REPOSITORY = "oci://ghcr.io/istio/release/charts";

/** The first version whose charts use the layout named. */
export const LAYOUT_SINCE = {
    /** `pilot.cni.enabled` in istiod; cni chart values at the top level. */
    cniValuesTopLevel: "1.24.0",
    /** `helm upgrade` of the base chart upgrades CRDs (before, CRDs had to be applied by hand). */
    baseUpgradesCrds: "1.24.0",
    /** Revision tags render a Service `istiod-revision-tag-<tag>` beside the webhook. */
    tagService: "1.28.0",
} as const;

/** True when `version` has the layout that starts at `since`. */
export function hasLayout(version: string, since: keyof typeof LAYOUT_SINCE): boolean {
    return compareVersions(version, LAYOUT_SINCE[since]) >= 0;
}

/** Where images come from; shared by every chart. */
export interface ImageSettings {
    /** Image hub, e.g. "registry.example.com/istio". Set it explicitly: 1.30 defaults to a registry being retired. */
    hub?: string;
    /**
     * Image tag; `{version}` is replaced by the Istio version of the chart using it (e.g. "{version}-distroless").
     * Default "{version}": every image is pinned to its revision's version, so the plan says exactly what runs.
     */
    tag?: string;
    /** Names of image pull secrets (which must exist in each namespace that pulls). */
    imagePullSecrets?: readonly string[];
}

/** A chart's values tree. */
export type Values = Record<string, unknown>;

function isPlainObject(v: unknown): v is Values {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep-merges `override` onto `base` (objects merge, everything else replaces), returning a new object. */
export function mergeValues(base: Values, override: Values | undefined): Values {
    const out: Values = { ...base };
    for (const [key, value] of Object.entries(override ?? {})) {
        const current = out[key];
        out[key] = isPlainObject(current) && isPlainObject(value) ? mergeValues(current, value) : value;
    }
    return out;
}

/** What each chart's version replaces in config that differs per version: the image tag, chart and istioctl paths. */
export const VERSION_PLACEHOLDER = "{version}";

/** `template` with every `{version}` replaced by `version`. */
export function forVersion(template: string, version: string): string {
    return template.split(VERSION_PLACEHOLDER).join(version);
}

/** The image tag for `version`: the `{version}` template filled in (default: the version itself). */
export function imageTag(images: ImageSettings, version: string): string {
    return forVersion(images.tag ?? VERSION_PLACEHOLDER, version);
}

export function globalValues(images: ImageSettings, istioNamespace: string, version: string): Values {
    const global: Values = { istioNamespace, tag: imageTag(images, version) };
    if (images.hub) {
        global.hub = images.hub;
    }
    if (images.imagePullSecrets && images.imagePullSecrets.length > 0) {
        global.imagePullSecrets = [...images.imagePullSecrets];
    }
    return global;
}

/** Values of the `base` chart (CRDs and the default validator). */
export function baseValues(args: { defaultRevision?: string; istioNamespace?: string }): Values {
    return {
        // An empty defaultRevision renders no istiod-default-validator: better than one pointing at a
        // Service that does not exist, which fails every Istio config write.
        defaultRevision: args.defaultRevision ?? "",
        global: { istioNamespace: args.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE },
    };
}

/**
 * Base chart values that leave the named CRDs out of the render (`base.excludedCRDs`, in the chart since 1.24, the
 * oldest minor this program renders): the CRDs are applied by their own step (istio/crds.ts).
 */
export function excludingCrds(values: Values, names: readonly string[]): Values {
    return mergeValues(values, { base: { excludedCRDs: [...names] } });
}

export interface IstiodValuesArgs {
    version: string;
    revision: string;
    istioNamespace?: string;
    images?: ImageSettings;
    /** Set when istio-cni is installed: pods then skip the privileged istio-init container. */
    cni?: { enabled: boolean; chained?: boolean };
    /** The version this revision ran before an in-place upgrade, recorded on istiod for the policy pack. */
    upgradedFrom?: string;
    /** The cluster's Kubernetes version, recorded on istiod for the policy pack. */
    kubernetesVersion?: string;
    /** The user's per-revision overrides, merged over everything but the program's annotations. */
    overrides?: Values;
}

/** Values of the `istiod` chart for one revision. */
export function istiodValues(args: IstiodValuesArgs): Values {
    const istioNamespace = args.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE;
    const values: Values = {
        revision: args.revision,
        // Tags are rendered by the RevisionTags component so that moving a tag is an update of one
        // webhook, not a delete from one Helm release and a create in another.
        revisionTags: [],
        global: globalValues(args.images ?? {}, istioNamespace, args.version),
    };
    if (args.cni?.enabled) {
        if (hasLayout(args.version, "cniValuesTopLevel")) {
            values.pilot = { cni: { enabled: true } };
        } else {
            values.istio_cni = { enabled: true, chained: args.cni.chained ?? true };
        }
    }
    const annotations: Record<string, string> = {};
    if (args.upgradedFrom) {
        annotations[ANNOTATION.upgradedFrom] = args.upgradedFrom;
    }
    if (args.kubernetesVersion) {
        annotations[ANNOTATION.kubernetesVersion] = args.kubernetesVersion;
    }
    // Merged after the overrides: the policy pack relies on them.
    const withOverrides = mergeValues(values, args.overrides);
    return Object.keys(annotations).length > 0 ? mergeValues(withOverrides, { deploymentAnnotations: annotations }) : withOverrides;
}

export interface CniValuesArgs {
    version: string;
    /** Chain onto the cluster's existing CNI plugin (true) or run as a standalone plugin (false). */
    chained: boolean;
    istioNamespace?: string;
    images?: ImageSettings;
    overrides?: Values;
}

/** Values of the `cni` chart. */
export function cniValues(args: CniValuesArgs): Values {
    const own: Values = { chained: args.chained };
    const values: Values = hasLayout(args.version, "cniValuesTopLevel") ? { ...own } : { cni: own };
    values.global = globalValues(args.images ?? {}, args.istioNamespace ?? DEFAULT_ISTIO_NAMESPACE, args.version);
    return mergeValues(values, args.overrides);
}

export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer";
export const SERVICE_TYPES: readonly ServiceType[] = ["ClusterIP", "NodePort", "LoadBalancer"];

export interface GatewayValuesArgs {
    name: string;
    /** The Istio version of the revision injecting it: recorded on its pods, so an in-place upgrade rolls it. */
    proxyVersion: string;
    /** The revision or tag the gateway's pods are injected by (its `istio.io/rev` label). */
    revision: string;
    serviceType: ServiceType;
    replicas: number;
    /** minAvailable / maxUnavailable; undefined renders no PodDisruptionBudget. */
    podDisruptionBudget?: { minAvailable?: number | string; maxUnavailable?: number | string };
    imagePullSecrets?: readonly string[];
    overrides?: Values;
}

/** Values of the `gateway` chart (its schema rejects unknown keys, so only documented ones are set). */
export function gatewayValues(args: GatewayValuesArgs): Values {
    const values: Values = {
        name: args.name,
        revision: args.revision,
        replicaCount: args.replicas,
        // A fixed replica count makes the preview say exactly what runs; the HPA would own it otherwise.
        autoscaling: { enabled: false },
        service: { type: args.serviceType },
    };
    if (args.podDisruptionBudget) {
        values.podDisruptionBudget = { ...args.podDisruptionBudget };
    }
    if (args.imagePullSecrets && args.imagePullSecrets.length > 0) {
        values.imagePullSecrets = args.imagePullSecrets.map(name => ({ name }));
    }
    // Merged after the overrides: the policy pack and the gateway's rollout on an in-place upgrade rely on it.
    return mergeValues(mergeValues(values, args.overrides), { podAnnotations: { [ANNOTATION.proxyVersion]: args.proxyVersion } });
}
