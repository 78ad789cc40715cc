/**
 * The mesh observation: what a plan installs, in Istio's terms (revisions, tags, namespaces, proxies, CNI, webhooks),
 * built from Helm releases of Istio's charts and from Kubernetes objects, whichever the plan shows. Under mocks and in
 * previews of a Chart only its values are visible; in a real preview its children are too, and they win where both say
 * something (they are what will run). Pure: a list of resources in, plain data out, in one pass.
 */
import { ANNOTATION, DEFAULT_ISTIO_NAMESPACE, DEFAULT_TAG, INJECTION_LABEL, istiodName, REV_LABEL, TAG_LABEL, tagWebhookName } from "../istio/names";
import { compareVersions } from "../istio/versions";
import { ZTUNNEL_APP, ZTUNNEL_IMAGE } from "../istio/ambient";
import { heldByRequest, LEGACY_INJECTION_STEP } from "../model/legacyInjection";
import {
    CNI_DAEMONSET, CNI_IMAGE, imageName, imageVersion, INJECT_LABEL, ISTIOD_APP, ISTIOD_CONTAINER, istiodServiceTarget,
    PROXY_CONTAINER, PROXY_IMAGE_ANNOTATION, PROXY_IMAGE_AUTO, UNREVISIONED_ISTIOD, versionOfTag,
} from "../istio/images";
import {
    ChartRelease, containersOf, contentsOf, KubeObject, Origin, PodTemplate, podTemplateOf, ResourceLike, snapshot, valueAt,
} from "./resources";

export interface RevisionObservation {
    name: string;
    /** The Istio version it runs, when known. */
    version?: string;
    /** The istiod Service (and Deployment) name. */
    serviceName: string;
    /** The version this revision was upgraded in place from, per the program's annotation. */
    upgradedFrom?: string;
    seenIn: Origin[];
}

export interface TagObservation {
    tag: string;
    revision: string;
    seenIn: Origin;
}

export interface NamespaceObservation {
    name: string;
    /** Labels merged over every Namespace and NamespacePatch of that name. */
    labels: Record<string, string>;
    seenIn: Origin[];
}

/** A gateway, or a workload bound to a revision or carrying a pinned proxy image. */
export interface ProxyObservation {
    kind: "gateway" | "workload";
    name: string;
    namespace: string;
    /** The pod-level `istio.io/rev` (a revision or a tag), if any. */
    revisionRef?: string;
    /** True when the pod opts into injection without naming a revision (served by the `default` tag). */
    injectsDefault: boolean;
    /** The proxy version when the image is pinned (explicit image or proxyImage annotation); undefined for `image: auto`. */
    pinnedVersion?: string;
    pinnedImage?: string;
    seenIn: Origin[];
}

export interface CniObservation {
    namespace: string;
    version?: string;
    seenIn: Origin[];
}

/** ztunnel (ambient mode): its version, and the revision whose istiod serves it (the chart's `revision`). */
export interface ZtunnelObservation {
    namespace: string;
    version?: string;
    revision?: string;
    seenIn: Origin[];
}

export interface WebhookObservation {
    kind: "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration";
    name: string;
    /** The Services its webhooks call (`webhooks[].clientConfig.service`). */
    services: Array<{ name: string; namespace?: string }>;
    seenIn: Origin;
}

/** A reference to a revision by name that is not a namespace, a gateway or a tag (the base chart's `defaultRevision`). */
export interface RevisionReference {
    ref: string;
    what: string;
    seenIn: Origin;
}

export interface MeshObservation {
    revisions: Map<string, RevisionObservation>;
    tags: Map<string, TagObservation[]>;
    namespaces: Map<string, NamespaceObservation>;
    proxies: ProxyObservation[];
    cni: CniObservation[];
    ztunnel: ZtunnelObservation[];
    webhooks: WebhookObservation[];
    /** istiod Services declared as objects: "namespace/name" (or "name" when the namespace is not set). */
    istiodServices: Set<string>;
    defaultRevisionRefs: RevisionReference[];
    /** The cluster's Kubernetes version as recorded by the program, if any. */
    kubernetesVersion?: { version: string; seenIn: Origin };
    /** True when some revision or tag could not be read (unknown during preview): "not installed" cannot be concluded. */
    incomplete: boolean;
    /** True when the plan declares any part of Istio (a chart, istiod, a tag, a webhook, CNI). */
    declaresIstio: boolean;
    /** Namespaces whose legacy istio-injection label the program's legacy-label step removes (model/legacyInjection.ts). */
    legacyInjectionRemoved: Set<string>;
}

function emptyMesh(): MeshObservation {
    return {
        revisions: new Map(), tags: new Map(), namespaces: new Map(), proxies: [], cni: [], ztunnel: [], webhooks: [],
        istiodServices: new Set(), defaultRevisionRefs: [], incomplete: false, declaresIstio: false, legacyInjectionRemoved: new Set(),
    };
}

/** Tag webhooks are `istio-revision-tag-<tag>[-<namespace>]`. */
const TAG_WEBHOOK_PREFIX = tagWebhookName("", DEFAULT_ISTIO_NAMESPACE);

function isIstiodServiceName(name: string): boolean {
    return istiodServiceTarget(name) !== undefined;
}

function nonEmptyString(v: unknown): string | undefined {
    return typeof v === "string" && v !== "" ? v : undefined;
}

/** The version a chart release installs: a `global.tag` that is a version overrides the chart version. */
function chartVersion(release: ChartRelease): string | undefined {
    const tag = nonEmptyString(valueAt(release.values, "global.tag"));
    return (tag && versionOfTag(tag)) ?? (release.version ? versionOfTag(release.version) : undefined);
}

class MeshBuilder {
    readonly mesh = emptyMesh();
    private readonly proxiesByKey = new Map<string, ProxyObservation>();
    private readonly cniByNamespace = new Map<string, CniObservation>();
    private readonly webhooksByKey = new Map<string, WebhookObservation>();

    add(resource: ResourceLike): void {
        if (resource.type === "command:local:Command" && resource.name === LEGACY_INJECTION_STEP) {
            // A patch's recorded labels still show the legacy label this step removes after it.
            const request = snapshot(resource.props).value.stdin;
            heldByRequest(typeof request === "string" ? request : "").forEach(ns => this.mesh.legacyInjectionRemoved.add(ns));
            return;
        }
        const { charts, objects } = contentsOf(resource);
        for (const release of charts) {
            this.addChart(release);
        }
        for (const object of objects) {
            this.addObject(object);
        }
    }

    private revision(name: string, serviceName: string): RevisionObservation {
        let revision = this.mesh.revisions.get(name);
        if (!revision) {
            revision = { name, serviceName, seenIn: [] };
            this.mesh.revisions.set(name, revision);
        }
        return revision;
    }

    private addTag(tag: string, revision: string, seenIn: Origin): void {
        const list = this.mesh.tags.get(tag) ?? [];
        if (!list.some(t => t.revision === revision)) {
            list.push({ tag, revision, seenIn });
        }
        this.mesh.tags.set(tag, list);
    }

    private recordKubernetesVersion(annotations: unknown, seenIn: Origin): void {
        const version = nonEmptyString((annotations as Record<string, unknown> | undefined)?.[ANNOTATION.kubernetesVersion]);
        if (version && !this.mesh.kubernetesVersion) {
            this.mesh.kubernetesVersion = { version, seenIn };
        }
    }

    private proxy(key: string, init: () => ProxyObservation): ProxyObservation {
        let proxy = this.proxiesByKey.get(key);
        if (!proxy) {
            proxy = init();
            this.proxiesByKey.set(key, proxy);
            this.mesh.proxies.push(proxy);
        }
        return proxy;
    }

    private ztunnel(namespace: string): ZtunnelObservation {
        let z = this.mesh.ztunnel.find(x => x.namespace === namespace);
        if (!z) {
            z = { namespace, seenIn: [] };
            this.mesh.ztunnel.push(z);
        }
        return z;
    }

    private cni(namespace: string): CniObservation {
        let cni = this.cniByNamespace.get(namespace);
        if (!cni) {
            cni = { namespace, seenIn: [] };
            this.cniByNamespace.set(namespace, cni);
            this.mesh.cni.push(cni);
        }
        return cni;
    }

    private addChart(release: ChartRelease): void {
        this.mesh.declaresIstio = true;
        switch (release.chart) {
            case "base":
                return this.addBaseChart(release);
            case "istiod":
                return this.addIstiodChart(release);
            case "gateway":
                return this.addGatewayChart(release);
            case "cni":
                return this.addCniChart(release);
            case "ztunnel":
                return this.addZtunnelChart(release);
        }
    }

    private addBaseChart(release: ChartRelease): void {
        const ref = nonEmptyString(release.values.defaultRevision);
        if (ref) {
            this.mesh.defaultRevisionRefs.push({ ref, what: "defaultRevision", seenIn: release.origin });
        }
    }

    private addIstiodChart(release: ChartRelease): void {
        if (release.unknownPaths.some(p => p === "chart" || p === "values" || p.startsWith("values.revision"))) {
            this.mesh.incomplete = true;
        }
        const name = nonEmptyString(release.values.revision) ?? DEFAULT_TAG;
        const revision = this.revision(name, nonEmptyString(release.values.revision) ? istiodName(name) : UNREVISIONED_ISTIOD);
        revision.seenIn.push(release.origin);
        revision.version ??= chartVersion(release);
        const annotations = release.values.deploymentAnnotations;
        revision.upgradedFrom ??= nonEmptyString(annotations?.[ANNOTATION.upgradedFrom]);
        this.recordKubernetesVersion(annotations, release.origin);
        for (const tag of Array.isArray(release.values.revisionTags) ? release.values.revisionTags : []) {
            if (nonEmptyString(tag)) {
                this.addTag(tag, name, release.origin);
            }
        }
    }

    private addGatewayChart(release: ChartRelease): void {
        const name = nonEmptyString(release.values.name) ?? release.release;
        const namespace = release.namespace ?? "default";
        const revisionRef = nonEmptyString(release.values.revision);
        const proxy = this.proxy(`${namespace}/${name}`, () => ({
            kind: "gateway", name, namespace, revisionRef, injectsDefault: !revisionRef, seenIn: [],
        }));
        proxy.seenIn.push(release.origin);
    }

    private addCniChart(release: ChartRelease): void {
        const cni = this.cni(release.namespace ?? "default");
        cni.seenIn.push(release.origin);
        cni.version ??= chartVersion(release);
    }

    private addZtunnelChart(release: ChartRelease): void {
        const z = this.ztunnel(release.namespace ?? "default");
        z.seenIn.push(release.origin);
        z.version ??= chartVersion(release);
        z.revision ??= nonEmptyString(release.values.revision);
    }

    private addObject(object: KubeObject): void {
        switch (object.kind) {
            case "Namespace":
            case "NamespacePatch":
                return this.addNamespace(object);
            case "MutatingWebhookConfiguration":
            case "ValidatingWebhookConfiguration":
                return this.addWebhook(object);
            case "Service":
                if (isIstiodServiceName(object.name)) {
                    this.mesh.istiodServices.add(object.namespace ? `${object.namespace}/${object.name}` : object.name);
                }
                return;
            default:
                return this.addWorkload(object);
        }
    }

    private addNamespace(object: KubeObject): void {
        let ns = this.mesh.namespaces.get(object.name);
        if (!ns) {
            ns = { name: object.name, labels: {}, seenIn: [] };
            this.mesh.namespaces.set(object.name, ns);
        }
        Object.assign(ns.labels, object.labels);
        ns.seenIn.push(object.origin);
    }

    private addWebhook(object: KubeObject): void {
        const tag = object.labels[TAG_LABEL];
        const tagRevision = object.labels[REV_LABEL];
        if (object.kind === "MutatingWebhookConfiguration") {
            if (tag && tagRevision) {
                this.addTag(tag, tagRevision, object.origin);
            } else if (object.partlyUnknown && object.name.startsWith(TAG_WEBHOOK_PREFIX)) {
                this.mesh.incomplete = true;
            }
        }
        const services: WebhookObservation["services"] = [];
        for (const webhook of Array.isArray(object.manifest.webhooks) ? object.manifest.webhooks : []) {
            const service = webhook?.clientConfig?.service;
            const namespace = nonEmptyString(service?.namespace);
            if (nonEmptyString(service?.name) && !services.some(s => s.name === service.name && s.namespace === namespace)) {
                services.push({ name: service.name, namespace });
            }
        }
        if (!tag && !services.some(s => isIstiodServiceName(s.name))) {
            return;
        }
        this.mesh.declaresIstio = true;
        const key = `${object.kind}/${object.name}`;
        if (!this.webhooksByKey.has(key)) {
            const observation: WebhookObservation = { kind: object.kind as WebhookObservation["kind"], name: object.name, services, seenIn: object.origin };
            this.webhooksByKey.set(key, observation);
            this.mesh.webhooks.push(observation);
        }
    }

    private addWorkload(object: KubeObject): void {
        const workload = istioWorkloadOf(object);
        if (!workload) {
            return;
        }
        const { role, pod, containers } = workload;
        if (role === "istiod") {
            return this.addIstiodDeployment(object, pod.labels, containers);
        }
        if (role === "ztunnel") {
            this.mesh.declaresIstio = true;
            const z = this.ztunnel(object.namespace ?? "default");
            z.seenIn.unshift(object.origin);
            const image = containers.find(c => isImageNamed(c, ZTUNNEL_IMAGE))?.image;
            z.version = (image && imageVersion(image)) || z.version;
            z.revision = nonEmptyString(pod.annotations[REV_LABEL]) ?? z.revision;
            return;
        }
        if (role === "cni") {
            this.mesh.declaresIstio = true;
            const cni = this.cni(object.namespace ?? "default");
            cni.seenIn.unshift(object.origin);
            const image = containers.find(c => isImageNamed(c, CNI_IMAGE))?.image;
            cni.version = (image && imageVersion(image)) || cni.version;
            return;
        }
        const proxyContainer = containers.find(c => c.name === PROXY_CONTAINER);
        const pinnedImage = nonEmptyString(pod.annotations[PROXY_IMAGE_ANNOTATION]) ??
            (typeof proxyContainer?.image === "string" && proxyContainer.image !== PROXY_IMAGE_AUTO ? proxyContainer.image : undefined);
        const revisionRef = nonEmptyString(pod.labels[REV_LABEL]);
        // A pod opted in with sidecar.istio.io/inject=true is injected by the default tag's webhook (its object
        // selector), whatever its namespace says: it is a proxy too.
        const optedIn = pod.labels[INJECT_LABEL] === "true" || pod.annotations[INJECT_LABEL] === "true";
        if (role === undefined && !pinnedImage && !revisionRef && !optedIn) {
            return;
        }
        const namespace = object.namespace ?? "default";
        const proxy = this.proxy(`${namespace}/${object.name}`, () => ({
            kind: role ?? "workload", name: object.name, namespace, injectsDefault: false, seenIn: [],
        }));
        // The object is what runs: its labels and image replace what the chart's values said.
        proxy.revisionRef = revisionRef;
        proxy.injectsDefault = !revisionRef && optedIn;
        proxy.pinnedImage = pinnedImage;
        proxy.pinnedVersion = pinnedImage ? imageVersion(pinnedImage) : undefined;
        proxy.seenIn.unshift(object.origin);
    }

    private addIstiodDeployment(object: KubeObject, podLabels: Record<string, string>, containers: Array<Record<string, any>>): void {
        this.mesh.declaresIstio = true;
        const name = object.labels[REV_LABEL] ?? podLabels[REV_LABEL] ?? DEFAULT_TAG;
        if (object.partlyUnknown && !object.labels[REV_LABEL] && !podLabels[REV_LABEL]) {
            this.mesh.incomplete = true;
        }
        const revision = this.revision(name, object.name);
        revision.serviceName = object.name;
        revision.seenIn.unshift(object.origin);
        const image = containers.find(c => c.name === ISTIOD_CONTAINER)?.image;
        revision.version = (typeof image === "string" && imageVersion(image)) || revision.version;
        revision.upgradedFrom = nonEmptyString(object.annotations[ANNOTATION.upgradedFrom]) ?? revision.upgradedFrom;
        this.recordKubernetesVersion(object.annotations, object.origin);
    }
}

function isImageNamed(container: Record<string, any>, name: string): boolean {
    return typeof container.image === "string" && imageName(container.image) === name;
}

/**
 * What part of Istio a workload is: istiod, the CNI node agent, ztunnel (ambient's node proxy: its container is named
 * istio-proxy too), or a gateway (a pod with its own istio-proxy container).
 */
export type IstioRole = "istiod" | "cni" | "ztunnel" | "gateway";

/** The workload's pod template and containers, and its Istio role if it has one. */
export function istioWorkloadOf(object: KubeObject):
    { role?: IstioRole; pod: PodTemplate; containers: Array<Record<string, any>> } | undefined {
    const pod = podTemplateOf(object);
    if (!pod) {
        return undefined;
    }
    const containers = containersOf(pod.spec);
    let role: IstioRole | undefined;
    if (object.kind === "Deployment" && (object.labels.app === ISTIOD_APP || pod.labels.app === ISTIOD_APP) &&
        containers.some(c => c.name === ISTIOD_CONTAINER)) {
        role = "istiod";
    } else if (object.kind === "DaemonSet" && (object.name === CNI_DAEMONSET || containers.some(c => isImageNamed(c, CNI_IMAGE)))) {
        role = "cni";
    } else if (object.kind === "DaemonSet" && (pod.labels.app === ZTUNNEL_APP || containers.some(c => isImageNamed(c, ZTUNNEL_IMAGE)))) {
        role = "ztunnel";
    } else if (containers.some(c => c.name === PROXY_CONTAINER)) {
        role = "gateway";
    }
    return { role, pod, containers };
}

/** Builds the mesh observation of a plan: linear in the number of resources. */
export function observeMesh(resources: readonly ResourceLike[]): MeshObservation {
    const builder = new MeshBuilder();
    for (const resource of resources) {
        builder.add(resource);
    }
    return builder.mesh;
}

/** The installed revision a revision-or-tag name leads to, and the tag it went through (a tag wins over a revision of the same name). */
export function resolveRevision(mesh: MeshObservation, ref: string): { revision?: RevisionObservation; tag?: TagObservation } {
    const tag = mesh.tags.get(ref)?.[0];
    if (tag) {
        return { revision: mesh.revisions.get(tag.revision), tag };
    }
    return { revision: mesh.revisions.get(ref) };
}

/**
 * The revision-or-tag name that injects a proxy's pods. Namespace labels win over pod labels, and the legacy
 * `istio-injection=enabled` wins over `istio.io/rev` (it means "whatever holds the default tag").
 */
export function servingRef(mesh: MeshObservation, proxy: ProxyObservation): string | undefined {
    const labels = mesh.namespaces.get(proxy.namespace)?.labels ?? {};
    if (labels[INJECTION_LABEL] !== undefined) {
        return labels[INJECTION_LABEL] === "enabled" ? DEFAULT_TAG : undefined;
    }
    return labels[REV_LABEL] ?? proxy.revisionRef ?? (proxy.injectsDefault ? DEFAULT_TAG : undefined);
}

/** Revisions with a known version, oldest first. */
export function versionedRevisions(mesh: MeshObservation): Array<RevisionObservation & { version: string }> {
    return [...mesh.revisions.values()]
        .filter((r): r is RevisionObservation & { version: string } => r.version !== undefined)
        .sort((a, b) => compareVersions(a.version, b.version));
}

/** All revisions, oldest version first, those of unknown version last. */
export function revisionsOldestFirst(mesh: MeshObservation): RevisionObservation[] {
    return [...versionedRevisions(mesh), ...[...mesh.revisions.values()].filter(r => r.version === undefined)];
}

/** What a violation names: `Deployment istio-system/istiod-1-30`, or `istiod chart (resource "istiod-1-30")`. */
export function describe(origin: Origin): string {
    return origin.object.endsWith(origin.resource.name) ? origin.object : `${origin.object} (resource "${origin.resource.name}")`;
}

/** Every Istio version the plan runs (control planes and CNI), with what runs it. */
export function istioInstalls(mesh: MeshObservation): Array<{ what: string; version: string; origin: Origin }> {
    return [
        ...versionedRevisions(mesh).map(r => ({ what: `revision ${r.name}`, version: r.version, origin: r.seenIn[0] })),
        ...mesh.cni.flatMap(c => c.version ? [{ what: "istio-cni", version: c.version, origin: c.seenIn[0] }] : []),
    ];
}
