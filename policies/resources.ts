/**
 * Turns what the policy engine hands over (Pulumi resources, possibly with values unknown during preview) into plain
 * Helm releases and Kubernetes objects, the way the Istio rules talk about them. Pure; shared by resource and stack
 * policies.
 */
import { UnknownValueError } from "@pulumi/policy";
import { CHART, ChartName } from "../istio/charts";
import { manifestObjects } from "../istio/crds";

/** The least a resource needs to be looked at: what the engine passes to both kinds of policy. */
export interface ResourceLike {
    type: string;
    name: string;
    urn?: string;
    props: Record<string, any>;
}

/** Where an observation comes from, so a violation can name the object and the Pulumi resource. */
export interface Origin {
    /** The Pulumi resource: a chart, a ConfigGroup, or the object itself. */
    resource: { type: string; name: string; urn?: string };
    /** "Deployment istio-system/istiod-1-30" or "istiod chart" */
    object: string;
}

/** A Helm release of one of Istio's charts. */
export interface ChartRelease {
    chart: ChartName;
    /** The chart version, which is the Istio version. */
    version?: string;
    /** The release namespace. */
    namespace?: string;
    /** The Helm release name (defaults to the resource name, as the Chart resource does). */
    release: string;
    values: Record<string, any>;
    /** Dotted paths whose value was unknown (preview). */
    unknownPaths: string[];
    origin: Origin;
}

/** A Kubernetes object declared directly, rendered by a chart, or inside a ConfigGroup. */
export interface KubeObject {
    kind: string;
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    /** The whole manifest (metadata, spec, webhooks, ...). */
    manifest: Record<string, any>;
    /** True when a value of the object was unknown (preview). */
    partlyUnknown: boolean;
    origin: Origin;
}

export interface ResourceContents {
    charts: ChartRelease[];
    objects: KubeObject[];
}

const CHART_TYPES = new Set(["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Chart"]);
const CONFIG_GROUP_TYPES = new Set(["kubernetes:yaml/v2:ConfigGroup"]);
/** Kubernetes kinds the rules look at, by their Pulumi type token. */
const OBJECT_TYPES: Record<string, string> = {
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:core/v1:Service": "Service",
    "kubernetes:core/v1:Namespace": "Namespace",
    "kubernetes:core/v1:NamespacePatch": "NamespacePatch",
    "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration": "MutatingWebhookConfiguration",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration": "ValidatingWebhookConfiguration",
};
const OBJECT_KINDS = new Set(Object.values(OBJECT_TYPES));

/** True for the resource types this pack reads; everything else (including `istio-mesh:*` components) is skipped. */
function isRelevantType(type: string): boolean {
    return CHART_TYPES.has(type) || CONFIG_GROUP_TYPES.has(type) || type in OBJECT_TYPES;
}

/**
 * A plain deep copy of resource properties. During preview the engine wraps properties in a proxy that throws on
 * unknown values; those become undefined here and their paths are listed, so rules can tell "absent" from "not known yet".
 */
export function snapshot(value: unknown): { value: any; unknownPaths: string[] } {
    const unknownPaths: string[] = [];
    const read = (container: any, key: string | number, path: string): unknown => {
        const here = path ? `${path}.${key}` : String(key);
        try {
            return copy(container[key], here);
        } catch (e) {
            if (e instanceof UnknownValueError) {
                unknownPaths.push(here);
                return undefined;
            }
            throw e;
        }
    };
    const copy = (v: any, path: string): unknown => {
        if (v === null || typeof v !== "object") {
            return v;
        }
        if (Array.isArray(v)) {
            const out: unknown[] = [];
            for (let i = 0; i < v.length; i++) {
                out.push(read(v, i, path));
            }
            return out;
        }
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(v)) {
            out[key] = read(v, key, path);
        }
        return out;
    };
    return { value: copy(value, ""), unknownPaths };
}

/** "istiod" from "istiod", "oci://ghcr.io/istio/release/charts/istiod", "./charts/istiod/", "istiod-1.30.2.tgz". */
export function chartNameOf(chart: unknown): ChartName | undefined {
    if (typeof chart !== "string") {
        return undefined;
    }
    const last = chart.replace(/\/+$/, "").split("/").pop() ?? "";
    const name = last.replace(/-\d+\.\d+\.\d+[^/]*\.tgz$/, "");
    return (Object.values(CHART) as string[]).includes(name) ? name as ChartName : undefined;
}

function stringMap(v: unknown): Record<string, string> {
    const out: Record<string, string> = {};
    if (v && typeof v === "object" && !Array.isArray(v)) {
        for (const [k, val] of Object.entries(v)) {
            if (typeof val === "string") {
                out[k] = val;
            }
        }
    }
    return out;
}

function describeObject(kind: string, name: string, namespace: string | undefined): string {
    return `${kind} ${namespace ? `${namespace}/` : ""}${name}`;
}

function toObject(kind: string, manifest: Record<string, any>, partlyUnknown: boolean,
                  resource: ResourceLike, fallbackName: string): KubeObject {
    const metadata = manifest.metadata ?? {};
    const name = typeof metadata.name === "string" ? metadata.name : fallbackName;
    const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
    return {
        kind,
        name,
        namespace,
        labels: stringMap(metadata.labels),
        annotations: stringMap(metadata.annotations),
        manifest,
        partlyUnknown,
        origin: { resource: { type: resource.type, name: resource.name, urn: resource.urn }, object: describeObject(kind, name, namespace) },
    };
}

function yamlDocuments(source: unknown): unknown[] {
    return (Array.isArray(source) ? source : [source]).flatMap(text => (typeof text === "string" ? manifestObjects(text) : []));
}

/** The Istio charts and Kubernetes objects one resource declares (a ConfigGroup can hold many objects). */
export function contentsOf(resource: ResourceLike): ResourceContents {
    const contents: ResourceContents = { charts: [], objects: [] };
    if (!isRelevantType(resource.type)) {
        return contents;
    }
    const { value: props, unknownPaths } = snapshot(resource.props);
    const origin = { resource: { type: resource.type, name: resource.name, urn: resource.urn } };
    if (CHART_TYPES.has(resource.type)) {
        const chart = chartNameOf(props.chart);
        if (chart) {
            contents.charts.push({
                chart,
                version: typeof props.version === "string" ? props.version : undefined,
                namespace: typeof props.namespace === "string" ? props.namespace : undefined,
                release: typeof props.name === "string" ? props.name : resource.name,
                values: props.values && typeof props.values === "object" ? props.values : {},
                unknownPaths,
                origin: { ...origin, object: `${chart} chart` },
            });
        }
    } else if (CONFIG_GROUP_TYPES.has(resource.type)) {
        const objs = Array.isArray(props.objs) ? props.objs : props.objs ? [props.objs] : [];
        for (const doc of [...yamlDocuments(props.yaml), ...objs]) {
            const manifest = doc as Record<string, any> | null;
            if (manifest && typeof manifest === "object" && OBJECT_KINDS.has(manifest.kind)) {
                contents.objects.push(toObject(manifest.kind, manifest, unknownPaths.length > 0, resource, resource.name));
            }
        }
    } else {
        contents.objects.push(toObject(OBJECT_TYPES[resource.type], props, unknownPaths.length > 0, resource, resource.name));
    }
    return contents;
}

export interface PodTemplate {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    spec: Record<string, any>;
}

/** The pod template of a workload, or undefined for other kinds. */
export function podTemplateOf(object: KubeObject): PodTemplate | undefined {
    if (object.kind !== "Deployment" && object.kind !== "DaemonSet" && object.kind !== "StatefulSet") {
        return undefined;
    }
    const template = object.manifest.spec?.template ?? {};
    return {
        labels: stringMap(template.metadata?.labels),
        annotations: stringMap(template.metadata?.annotations),
        spec: template.spec ?? {},
    };
}

/** The containers (and init containers) of a pod spec. */
export function containersOf(podSpec: Record<string, any>): Array<Record<string, any>> {
    const list = (v: unknown) => Array.isArray(v) ? v.filter(c => c && typeof c === "object") : [];
    return [...list(podSpec.containers), ...list(podSpec.initContainers)];
}

/** Reads a nested value ("global.hub") from chart values. */
export function valueAt(values: Record<string, any>, path: string): unknown {
    let v: any = values;
    for (const key of path.split(".")) {
        if (v === null || typeof v !== "object") {
            return undefined;
        }
        v = v[key];
    }
    return v;
}
