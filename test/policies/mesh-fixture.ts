/**
 * A happy-path mesh for policy tests: two revisions (1.29.x and 1.30.x), tags, a gateway, namespaces, a pinned
 * workload and CNI, described as a spec that tests mutate one property at a time, then rendered the ways a plan can
 * show it: Helm charts only (mocks, previews of a Chart), chart children as objects, both, or istioctl ConfigGroups.
 */
import * as yaml from "js-yaml";
import {
    baseValues, cniValues, gatewayValues, injectorWebhookName, istiodName, istiodValues, tagWebhook, validatorWebhookName,
    DEFAULT_VALIDATOR_NAME, ztunnelValues,
} from "../../istio";
import { ANNOTATION } from "../../istio/names";
import { ResourceLike } from "../../policies/resources";

export interface RevisionSpec { name: string; version: string; upgradedFrom?: string }
export interface GatewaySpec { name: string; namespace: string; revision?: string; pinnedImage?: string }
export interface NamespaceSpec { name: string; labels: Record<string, string>; patch?: boolean }
export interface WorkloadSpec { name: string; namespace: string; podLabels?: Record<string, string>; proxyImage?: string }

export interface MeshSpec {
    istioNamespace: string;
    hub: string;
    pullSecrets: string[];
    /** Recorded by the program on istiod (annotation) and in the istiod chart values. */
    kubernetesVersion?: string;
    base?: { version: string; defaultRevision: string };
    revisions: RevisionSpec[];
    /** tag -> revision, declared as webhooks by the program (as tags.ts renders them). */
    tags: Record<string, string>;
    gateways: GatewaySpec[];
    namespaces: NamespaceSpec[];
    workloads: WorkloadSpec[];
    cni?: { version: string; namespace: string };
    /** Ambient mode's ztunnel, served by `revision`. */
    ztunnel?: { version: string; revision: string };
}

export function happySpec(): MeshSpec {
    return {
        istioNamespace: "istio-system",
        hub: "registry.example.com/istio",
        pullSecrets: ["regcred"],
        kubernetesVersion: "1.33",
        base: { version: "1.30.2", defaultRevision: "1-30" },
        revisions: [
            { name: "1-29", version: "1.29.3" },
            { name: "1-30", version: "1.30.2", upgradedFrom: "1.30.1" },
        ],
        tags: { default: "1-30", stable: "1-29" },
        gateways: [{ name: "istio-ingress", namespace: "istio-ingress", revision: "stable" }],
        namespaces: [
            { name: "istio-system", labels: {} },
            { name: "istio-ingress", labels: {} },
            { name: "shop", labels: { "istio.io/rev": "stable" } },
            { name: "legacy", labels: { "istio-injection": "enabled" } },
            { name: "payments", labels: { "istio.io/rev": "1-30" }, patch: true },
        ],
        workloads: [{ name: "checkout", namespace: "shop", proxyImage: "registry.example.com/istio/proxyv2:1.29.3" }],
        cni: { version: "1.29.3", namespace: "istio-system" },
    };
}

/** The happy mesh in ambient mode, mid-upgrade in Istio's order: CNI and ztunnel on 1.30, served by 1-30; 1-29 not retired yet. */
export function ambientSpec(): MeshSpec {
    return { ...happySpec(), cni: { version: "1.30.2", namespace: "istio-system" }, ztunnel: { version: "1.30.2", revision: "1-30" } };
}

/** How the plan shows the mesh. */
export type View = "charts" | "objects" | "both" | "istioctl";
export const VIEWS: readonly View[] = ["charts", "objects", "both", "istioctl"];

const T = {
    chart: "kubernetes:helm.sh/v4:Chart",
    configGroup: "kubernetes:yaml/v2:ConfigGroup",
    deployment: "kubernetes:apps/v1:Deployment",
    daemonSet: "kubernetes:apps/v1:DaemonSet",
    service: "kubernetes:core/v1:Service",
    namespace: "kubernetes:core/v1:Namespace",
    namespacePatch: "kubernetes:core/v1:NamespacePatch",
    mwc: "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
    vwc: "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration",
};
export const TYPES = T;

const KIND_TYPES: Record<string, string> = {
    Deployment: T.deployment, DaemonSet: T.daemonSet, Service: T.service, Namespace: T.namespace,
    MutatingWebhookConfiguration: T.mwc, ValidatingWebhookConfiguration: T.vwc,
};

export function resource(type: string, name: string, props: Record<string, any>): ResourceLike {
    return { type, name, urn: `urn:pulumi:test::istio-mesh::${type}::${name}`, props };
}

/** A Kubernetes object as the Pulumi resource that declares it. */
export function objectResource(manifest: Record<string, any>): ResourceLike {
    return resource(KIND_TYPES[manifest.kind], manifest.metadata.name, manifest);
}

const NON_ROOT = {
    readOnlyRootFilesystem: true, runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true,
    capabilities: { drop: ["ALL"] }, allowPrivilegeEscalation: false, privileged: false,
};

function istiodAnnotations(spec: MeshSpec, revision: RevisionSpec): Record<string, string> {
    const annotations: Record<string, string> = {};
    if (revision.upgradedFrom) {
        annotations[ANNOTATION.upgradedFrom] = revision.upgradedFrom;
    }
    if (spec.kubernetesVersion) {
        annotations[ANNOTATION.kubernetesVersion] = spec.kubernetesVersion;
    }
    return annotations;
}

/** The objects the istiod chart renders for a revision that the rules look at. */
export function istiodObjects(spec: MeshSpec, revision: RevisionSpec): Array<Record<string, any>> {
    const ns = spec.istioNamespace;
    const name = istiodName(revision.name);
    const labels = { app: "istiod", "istio.io/rev": revision.name };
    const injector = (prefix: string) => ({
        name: `${prefix}sidecar-injector.istio.io`,
        clientConfig: { service: { name, namespace: ns, path: "/inject", port: 443 } },
    });
    return [
        {
            apiVersion: "apps/v1", kind: "Deployment",
            metadata: { name, namespace: ns, labels, annotations: istiodAnnotations(spec, revision) },
            spec: {
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels: { ...labels, "sidecar.istio.io/inject": "false" } },
                    spec: {
                        securityContext: { fsGroup: 1337 },
                        imagePullSecrets: spec.pullSecrets.map(s => ({ name: s })),
                        containers: [{ name: "discovery", image: `${spec.hub}/pilot:${revision.version}`, securityContext: { ...NON_ROOT } }],
                    },
                },
            },
        },
        { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns, labels }, spec: { selector: labels } },
        {
            apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration",
            metadata: { name: injectorWebhookName(revision.name), labels },
            webhooks: [injector("rev.namespace."), injector("rev.object.")],
        },
        {
            apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration",
            metadata: { name: validatorWebhookName(revision.name, ns), labels },
            webhooks: [{ name: "rev.validation.istio.io", clientConfig: { service: { name, namespace: ns, path: "/validate" } } }],
        },
    ];
}

function gatewayDeployment(spec: MeshSpec, gateway: GatewaySpec): Record<string, any> {
    const podLabels: Record<string, string> = { app: gateway.name, istio: "ingressgateway" };
    if (gateway.revision) {
        podLabels["istio.io/rev"] = gateway.revision;
    } else {
        podLabels["sidecar.istio.io/inject"] = "true";
    }
    return {
        apiVersion: "apps/v1", kind: "Deployment",
        metadata: { name: gateway.name, namespace: gateway.namespace },
        spec: {
            template: {
                metadata: { labels: podLabels, annotations: { "inject.istio.io/templates": "gateway" } },
                spec: {
                    securityContext: { sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }] },
                    imagePullSecrets: spec.pullSecrets.map(s => ({ name: s })),
                    containers: [{ name: "istio-proxy", image: gateway.pinnedImage ?? "auto", securityContext: { ...NON_ROOT } }],
                },
            },
        },
    };
}

function cniDaemonSet(spec: MeshSpec, cni: NonNullable<MeshSpec["cni"]>): Record<string, any> {
    return {
        apiVersion: "apps/v1", kind: "DaemonSet",
        metadata: { name: "istio-cni-node", namespace: cni.namespace, labels: { "k8s-app": "istio-cni-node" } },
        spec: {
            template: {
                metadata: { labels: { "k8s-app": "istio-cni-node", "sidecar.istio.io/inject": "false" } },
                spec: {
                    imagePullSecrets: spec.pullSecrets.map(s => ({ name: s })),
                    containers: [{ name: "install-cni", image: `${spec.hub}/install-cni:${cni.version}`, securityContext: { privileged: true, runAsUser: 0 } }],
                },
            },
        },
    };
}

function ztunnelDaemonSet(spec: MeshSpec, z: NonNullable<MeshSpec["ztunnel"]>): Record<string, any> {
    return {
        apiVersion: "apps/v1", kind: "DaemonSet",
        metadata: { name: "ztunnel", namespace: spec.istioNamespace, annotations: { "istio.io/rev": z.revision } },
        spec: {
            updateStrategy: { type: "OnDelete" },
            template: {
                metadata: { labels: { app: "ztunnel", "sidecar.istio.io/inject": "false" }, annotations: { "istio.io/rev": z.revision } },
                spec: {
                    containers: [{
                        name: "istio-proxy", image: `${spec.hub}/ztunnel:${z.version}`,
                        securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: true, capabilities: { add: ["NET_ADMIN", "SYS_ADMIN", "NET_RAW"] } },
                    }],
                },
            },
        },
    };
}

function defaultValidator(spec: MeshSpec, defaultRevision: string): Record<string, any> {
    const service = defaultRevision === "default" ? "istiod" : istiodName(defaultRevision);
    return {
        apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration",
        metadata: { name: DEFAULT_VALIDATOR_NAME, labels: { app: "istiod", "istio.io/rev": defaultRevision } },
        webhooks: [{ name: "validation.istio.io", clientConfig: { service: { name: service, namespace: spec.istioNamespace, path: "/validate" } } }],
    };
}

function charts(spec: MeshSpec): ResourceLike[] {
    const images = { hub: spec.hub, imagePullSecrets: spec.pullSecrets };
    const out: ResourceLike[] = [];
    if (spec.base) {
        out.push(resource(T.chart, "istio-base", {
            chart: "base", version: spec.base.version, namespace: spec.istioNamespace,
            values: baseValues({ defaultRevision: spec.base.defaultRevision, istioNamespace: spec.istioNamespace }),
        }));
    }
    for (const revision of spec.revisions) {
        out.push(resource(T.chart, `istiod-${revision.name}`, {
            chart: "oci://ghcr.io/istio/release/charts/istiod", version: revision.version, namespace: spec.istioNamespace,
            values: istiodValues({
                version: revision.version, revision: revision.name, istioNamespace: spec.istioNamespace, images,
                cni: spec.cni ? { enabled: true } : undefined,
                overrides: { deploymentAnnotations: istiodAnnotations(spec, revision) },
            }),
        }));
    }
    for (const gateway of spec.gateways) {
        const version = spec.revisions[spec.revisions.length - 1]?.version;
        out.push(resource(T.chart, `gateway-${gateway.name}`, {
            chart: "gateway", version, namespace: gateway.namespace,
            values: gatewayValues({
                name: gateway.name, revision: gateway.revision ?? "", proxyVersion: version ?? "", serviceType: "LoadBalancer", replicas: 2,
                imagePullSecrets: spec.pullSecrets,
            }),
        }));
    }
    if (spec.cni) {
        out.push(resource(T.chart, "istio-cni", {
            chart: "./vendor/charts/cni/", version: spec.cni.version, namespace: spec.cni.namespace,
            values: cniValues({ version: spec.cni.version, chained: true, istioNamespace: spec.istioNamespace, images }),
        }));
    }
    if (spec.ztunnel) {
        out.push(resource(T.chart, "ztunnel", {
            chart: "oci://ghcr.io/istio/release/charts/ztunnel", version: spec.ztunnel.version, namespace: spec.istioNamespace,
            values: ztunnelValues({ version: spec.ztunnel.version, revision: spec.ztunnel.revision, rollout: "nodeByNode", istioNamespace: spec.istioNamespace, images }),
        }));
    }
    return out;
}

/** What the charts other than istiod render, as objects (a real preview shows the Chart's children). */
function otherChildren(spec: MeshSpec): Array<Record<string, any>> {
    return [
        ...(spec.base?.defaultRevision ? [defaultValidator(spec, spec.base.defaultRevision)] : []),
        ...spec.gateways.map(g => gatewayDeployment(spec, g)),
        ...(spec.cni ? [cniDaemonSet(spec, spec.cni)] : []),
        ...(spec.ztunnel ? [ztunnelDaemonSet(spec, spec.ztunnel)] : []),
    ];
}

/** What the program declares directly whatever renders Istio: namespaces, tag webhooks, workloads. */
function declared(spec: MeshSpec): ResourceLike[] {
    const out: ResourceLike[] = [];
    for (const ns of spec.namespaces) {
        out.push(resource(ns.patch ? T.namespacePatch : T.namespace, ns.name, { metadata: { name: ns.name, labels: { ...ns.labels } } }));
    }
    for (const [tag, revision] of Object.entries(spec.tags)) {
        out.push(objectResource(tagWebhook({ tag, revision, istioNamespace: spec.istioNamespace })));
    }
    for (const workload of spec.workloads) {
        out.push(resource(T.deployment, workload.name, {
            metadata: { name: workload.name, namespace: workload.namespace },
            spec: {
                template: {
                    metadata: {
                        labels: { app: workload.name, ...workload.podLabels },
                        annotations: workload.proxyImage ? { "sidecar.istio.io/proxyImage": workload.proxyImage } : {},
                    },
                    spec: { containers: [{ name: "app", image: `shop/${workload.name}:1` }] },
                },
            },
        }));
    }
    return out;
}

/** The resources a plan registers for `spec`, seen as `view`. */
export function renderMesh(spec: MeshSpec, view: View = "both"): ResourceLike[] {
    const out = declared(spec);
    if (view === "charts" || view === "both") {
        out.push(...charts(spec));
    }
    if (view === "objects" || view === "both") {
        out.push(...spec.revisions.flatMap(r => istiodObjects(spec, r)).map(objectResource));
    }
    if (view === "istioctl") {
        // istioctl renders each revision as one multi-document YAML, applied as a ConfigGroup.
        for (const revision of spec.revisions) {
            out.push(resource(T.configGroup, `istio-${revision.name}`, {
                yaml: istiodObjects(spec, revision).map(o => yaml.dump(o)).join("---\n"),
            }));
        }
    }
    if (view !== "charts") {
        out.push(...otherChildren(spec).map(objectResource));
    }
    return out;
}
