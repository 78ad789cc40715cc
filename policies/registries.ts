/** Where Istio's images come from: allowed registries, and pull secrets for private ones. */
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { imageRepository, ISTIO_PUBLIC_HUBS, PROXY_IMAGE_AUTO } from "../istio/images";
import { istioWorkloadOf } from "./mesh";
import { reportAt, settingsOf } from "./policy-kit";
import { contentsOf, Origin, ResourceLike, valueAt } from "./resources";

/** One place a resource says where images come from. */
interface ImageSource {
    origin: Origin;
    /** "value global.hub" or "container discovery" */
    what: string;
    /** A hub ("registry.example.com/istio") or an image reference. */
    ref: string;
    isHub: boolean;
    /** Image pull secrets that apply to it. */
    pullSecrets: string[];
}

function secretNames(list: unknown): string[] {
    return Array.isArray(list)
        ? list.map(s => typeof s === "string" ? s : s?.name).filter((s): s is string => typeof s === "string" && s !== "")
        : [];
}

/** The hubs of the istiod and CNI charts, and the images of istiod, CNI and gateway pods (but not `image: auto`). */
function imageSources(resource: ResourceLike): ImageSource[] {
    const { charts, objects } = contentsOf(resource);
    const sources: ImageSource[] = [];
    for (const release of charts) {
        const hub = valueAt(release.values, "global.hub");
        if ((release.chart === "istiod" || release.chart === "cni") && typeof hub === "string" && hub !== "") {
            sources.push({
                origin: release.origin, what: "value global.hub", ref: hub, isHub: true,
                pullSecrets: secretNames(valueAt(release.values, "global.imagePullSecrets")),
            });
        }
    }
    for (const object of objects) {
        const workload = istioWorkloadOf(object);
        if (!workload?.role) {
            continue;
        }
        for (const container of workload.containers) {
            if (typeof container.image === "string" && container.image !== PROXY_IMAGE_AUTO) {
                sources.push({
                    origin: object.origin, what: `container ${container.name}`, ref: container.image, isHub: false,
                    pullSecrets: secretNames(workload.pod.spec.imagePullSecrets),
                });
            }
        }
    }
    return sources;
}

/** "docker.io/istio/pilot" for "istio/pilot:1.30.2"; hubs keep their path ("istio" is Docker Hub's istio). */
function registryPath(ref: string, isHub: boolean): string {
    const path = (isHub ? ref : imageRepository(ref)).replace(/\/+$/, "").replace(/^index\.docker\.io\//, "docker.io/");
    const segments = path.split("/");
    const hasRegistry = /[.:]/.test(segments[0]) || segments[0] === "localhost";
    if (hasRegistry && (segments.length > 1 || isHub)) {
        return path;
    }
    return `docker.io/${segments.length === 1 && !isHub ? "library/" : ""}${path}`;
}

/** True when `source` is one of the registries, or under one of them ("registry.example.com" covers "registry.example.com/istio"). */
function isUnder(source: ImageSource, registries: readonly string[]): boolean {
    const path = registryPath(source.ref, source.isHub);
    return registries.some(entry => {
        const prefix = entry.replace(/\/+$/, "").replace(/^index\.docker\.io(?=\/|$)/, "docker.io");
        return path === prefix || path.startsWith(`${prefix}/`);
    });
}

export interface AllowedRegistriesSettings {
    allowedRegistries: string[];
}

export const imagesFromAllowedRegistries: ResourceValidationPolicy = {
    name: "istio-images-from-allowed-registries",
    description:
        "istiod, istio-cni and gateway images, and the `global.hub` of the istiod and cni charts, come from a registry in " +
        "`allowedRegistries` (a registry or a registry path such as `registry.example.com/istio`). Mirror Istio's images " +
        "into an allowed registry and point `global.hub` at it. Does nothing until `allowedRegistries` is configured.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            allowedRegistries: { type: "array", items: { type: "string" } },
        },
    },
    validateResource: (args, report) => {
        const { allowedRegistries } = settingsOf<AllowedRegistriesSettings>(args, { allowedRegistries: [] });
        if (allowedRegistries.length === 0) {
            return args.notApplicable("no allowedRegistries configured");
        }
        for (const source of imageSources(args)) {
            if (!isUnder(source, allowedRegistries)) {
                const fix = source.isHub ? "mirror Istio's images there and set global.hub to it" : "mirror the image there and use that copy";
                reportAt(report, source.origin,
                    `${source.what} uses ${source.ref}, which is not under an allowed registry (${allowedRegistries.join(", ")}); ${fix}`);
            }
        }
    },
};

export interface PullSecretSettings {
    publicRegistries: string[];
}

export const privateHubPullSecrets: StackValidationPolicy = {
    name: "istio-private-hub-pull-secrets",
    description:
        "When istiod, istio-cni or gateway images come from a private registry (anything outside `publicRegistries`, by " +
        "default Istio's own hubs), set image pull secrets (`global.imagePullSecrets`, or the pod's `imagePullSecrets`) " +
        "and create the secret in each namespace that pulls, or pods stay in ImagePullBackOff. Advisory: clusters with " +
        "node-level registry credentials need no secret.",
    enforcementLevel: "advisory",
    configSchema: {
        properties: {
            publicRegistries: { type: "array", items: { type: "string" }, default: [...ISTIO_PUBLIC_HUBS] },
        },
    },
    // One advisory per registry, naming every place that pulls from it: the engine prints each violation with the
    // whole description, so one per chart and pod repeated it for each.
    validateStack: (args, report) => {
        const { publicRegistries } = settingsOf<PullSecretSettings>(args, { publicRegistries: [...ISTIO_PUBLIC_HUBS] });
        const byRegistry = new Map<string, ImageSource[]>();
        for (const source of args.resources.flatMap(r => imageSources(r))) {
            if (source.pullSecrets.length === 0 && !isUnder(source, publicRegistries)) {
                const registry = registryPath(source.ref, source.isHub).split("/")[0];
                byRegistry.set(registry, [...(byRegistry.get(registry) ?? []), source]);
            }
        }
        for (const [registry, sources] of byRegistry) {
            const places = sources.map(s => `${s.what} of ${s.origin.resource.name} (${s.ref})`).join(", ");
            const settings = [...new Set(sources.map(s => s.isHub ? "global.imagePullSecrets" : "imagePullSecrets on the pod"))].join(" and ");
            reportAt(report, sources[0].origin,
                `${registry} is a private registry, and ${sources.length === 1 ? "this pulls" : `${sources.length} places pull`} from it without image pull secrets: ${places}; set ${settings}`);
        }
    },
};
