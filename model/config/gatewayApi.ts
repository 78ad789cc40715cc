/**
 * `gatewayApi`: the Gateway API CRDs' release (checked against every revision's Istio version) and the Gateways
 * istiod deploys, each pinned to a revision.
 */
import * as path from "path";
import * as yaml from "js-yaml";
import {
    checkGatewayApiPair, GATEWAY_API_GROUP, WaypointFor, GATEWAY_API_UNMANAGED, GATEWAY_CLASS, gatewayApiReleasesFor, gatewayDeploymentName, GatewayApiChannel,
    GatewayListenerProtocol, isDnsLabel, isGatewayApiRelease, isServiceName, REV_LABEL, ServiceType,
} from "../../istio";
import { DEFAULTS } from "./defaults";
import { Collector } from "./problems";
import { Disk, GatewayApiGatewaySpec, GatewayApiSpec, GatewayListenerSpec, GatewaySpec, RevisionSpec } from "./spec";
import { targetProblem, Targets } from "./workloads";

/** What the Gateways may be in and clash with: the namespaces the program manages and its Helm gateways. */
export interface GatewayApiContext {
    readonly istioNamespace: string;
    /** Every namespace the program manages: the istio namespace, the application namespaces, the Helm gateways' and CNI's. */
    readonly managedNamespaces: ReadonlySet<string>;
    readonly helmGateways: readonly GatewaySpec[];
    readonly targets: Targets;
    readonly disk?: Disk;
}

const KEY = "gatewayApi";

/** The CRDs' release: `unmanaged`, or a release the program can install that suits every revision's Istio version. */
function parseCrds(c: Collector, raw: Record<string, unknown>, revisions: readonly RevisionSpec[]): GatewayApiSpec["crds"] {
    const version = typeof raw.version === "string" ? raw.version.replace(/^v/, "") : GATEWAY_API_UNMANAGED;
    const istioVersions = [...new Set(revisions.map(r => r.version))];
    const fits = gatewayApiReleasesFor(istioVersions);
    const suggestion = fits.length > 0 ? `e.g. "${fits[fits.length - 1]}" (suits Istio ${istioVersions.join(" and ")})` : "a release the revisions share";
    if (version === GATEWAY_API_UNMANAGED) {
        if (raw.channel !== undefined) {
            c.add(`${KEY}.channel`, raw.channel, `is set, but ${KEY}.version is ${GATEWAY_API_UNMANAGED}, so no CRDs are applied`,
                `set ${KEY}.version to a Gateway API release, ${suggestion}, or remove ${KEY}.channel`);
        }
        return undefined;
    }
    if (!isGatewayApiRelease(version)) {
        c.add(`${KEY}.version`, raw.version, "is not a Gateway API release the program can install",
            `use ${suggestion}, or "${GATEWAY_API_UNMANAGED}" to install the CRDs yourself`);
        return undefined;
    }
    let ok = true;
    for (const istio of istioVersions) {
        const verdict = checkGatewayApiPair(istio, version);
        if (verdict.status === "unsupported") {
            ok = false;
            c.add(`${KEY}.version`, raw.version, verdict.reason,
                fits.length > 0 ? `use ${suggestion}` : `raise the CRDs in a step of their own between two Istio minors: Istio ${istio} takes ${verdict.supported.join(", ")}`);
        } else if (verdict.status === "unverified") {
            c.advise(`${KEY}.version`, raw.version, verdict.reason, "check Istio's release notes for the Gateway API versions it supports");
        }
    }
    return ok ? { version, channel: (raw.channel ?? "standard") as GatewayApiChannel } : undefined;
}

/** The default name of a listener: `http-80`. */
export function listenerName(protocol: string, port: number): string {
    return `${protocol.toLowerCase()}-${port}`;
}

function parseListeners(c: Collector, key: string, raw: Record<string, unknown>[]): GatewayListenerSpec[] | undefined {
    if (raw.length === 0) {
        c.add(key, raw, "is empty: a Gateway needs at least one listener", "add one, e.g. listeners: [{port: 80}]");
        return undefined;
    }
    const listeners: GatewayListenerSpec[] = [];
    const names = new Map<string, number>();
    const endpoints = new Map<string, number>();
    raw.forEach((e, i) => {
        const at = `${key}[${i}]`;
        const port = e.port as number;
        const protocol = (e.protocol ?? "HTTP") as GatewayListenerProtocol;
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
            c.add(`${at}.port`, e.port, "is not a port (1-65535)", "e.g. port: 80");
            return;
        }
        const name = (e.name as string | undefined) ?? listenerName(protocol, port);
        if (!isDnsLabel(name)) {
            c.add(`${at}.name`, name, "is not a listener name (lowercase letters, digits and '-', at most 63)", `e.g. name: ${listenerName(protocol, port)}`);
            return;
        }
        if (names.has(name)) {
            c.add(`${at}.name`, name, `${key}[${names.get(name)}] already is listener ${name}`, "give each listener of a Gateway its own name");
            return;
        }
        names.set(name, i);
        const hostname = e.hostname as string | undefined;
        if (hostname !== undefined && !/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(hostname)) {
            c.add(`${at}.hostname`, hostname, "is not a host name (a wildcard only as the first label: *.example.com)", "e.g. hostname: shop.example.com");
            return;
        }
        if (hostname !== undefined && protocol === "TCP") {
            c.add(`${at}.hostname`, hostname, "does not apply to a TCP listener (TCP carries no host name)", "remove hostname, or use protocol TLS");
            return;
        }
        const certificate = e.certificate as string | undefined;
        if (protocol === "HTTPS" && certificate === undefined) {
            c.add(`${at}.certificate`, certificate, "is required for an HTTPS listener: it terminates TLS with that Secret",
                "set certificate to a TLS Secret of the Gateway's namespace, e.g. certificate: shop-tls");
            return;
        }
        if (certificate !== undefined && (protocol === "HTTP" || protocol === "TCP")) {
            c.add(`${at}.certificate`, certificate, `does not apply to an ${protocol} listener (no TLS)`, "remove certificate, or use protocol HTTPS or TLS");
            return;
        }
        if (certificate !== undefined && !isDnsLabel(certificate) && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(certificate)) {
            c.add(`${at}.certificate`, certificate, "is not a Secret name", "e.g. certificate: shop-tls");
            return;
        }
        const endpoint = `${port}/${protocol}/${hostname ?? "*"}`;
        if (endpoints.has(endpoint)) {
            c.add(at, e, `serves the same port, protocol and host as ${key}[${endpoints.get(endpoint)}] (Gateway API marks both Conflicted)`,
                "give it another port or hostname, or remove it");
            return;
        }
        endpoints.set(endpoint, i);
        listeners.push({
            name, port, protocol, ...(hostname !== undefined ? { hostname } : {}), ...(certificate !== undefined ? { certificate } : {}),
            routesFrom: (e.routesFrom ?? "Same") as "Same" | "All",
        });
    });
    return listeners.length === raw.length ? listeners : undefined;
}

/**
 * The user's own Gateway from `file`: one Gateway of this name, namespace and class. With no disk to read, only the
 * path (the program always has a disk; the plan reads it too).
 */
function parseManifest(c: Collector, key: string, file: string, gw: { name: string; namespace: string; className: string; target: string }, disk?: Disk):
    GatewayApiGatewaySpec["manifest"] | undefined {
    if (!disk?.readText) {
        return { path: file };
    }
    const text = disk.readText(path.resolve(disk.projectDir, file));
    if (text === undefined) {
        c.add(key, file, `names no file (looked at ${path.resolve(disk.projectDir, file)})`, "write the Gateway there, or set listeners instead");
        return undefined;
    }
    let docs: unknown[];
    try {
        docs = yaml.loadAll(text).filter(d => d !== null && d !== undefined);
    } catch (e) {
        c.add(key, file, `is not YAML (${(e as Error).message.split("\n")[0]})`, "fix the file");
        return undefined;
    }
    const o = docs[0] as { apiVersion?: unknown; kind?: unknown; metadata?: Record<string, unknown>; spec?: Record<string, unknown> } | undefined;
    const problem = docs.length !== 1 || typeof o !== "object" || Array.isArray(o) ? `holds ${docs.length} documents; it must hold exactly one Gateway`
        : o.kind !== "Gateway" || typeof o.apiVersion !== "string" || !o.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`)
            ? `holds a ${String(o.kind)} of ${String(o.apiVersion)}, not a Gateway of ${GATEWAY_API_GROUP}`
        : o.metadata?.name !== gw.name ? `holds Gateway ${String(o.metadata?.name)}, not ${gw.name} as its name says`
        : o.metadata.namespace !== undefined && o.metadata.namespace !== gw.namespace ? `holds a Gateway of namespace ${String(o.metadata.namespace)}, not ${gw.namespace}`
        : o.spec?.gatewayClassName !== gw.className ? `holds a Gateway of class ${String(o.spec?.gatewayClassName)}, not ${gw.className} (className)`
        : (o.metadata.labels as Record<string, unknown> | undefined)?.[REV_LABEL] !== undefined && (o.metadata.labels as Record<string, unknown>)[REV_LABEL] !== gw.target
            ? `sets ${REV_LABEL}=${String((o.metadata.labels as Record<string, unknown>)[REV_LABEL])}, but its revision is ${gw.target}`
        : undefined;
    if (problem) {
        c.add(key, file, problem, `write one Gateway (apiVersion ${GATEWAY_API_GROUP}/v1) named ${gw.name} in ${gw.namespace}, of class ${gw.className}, ` +
            `without ${REV_LABEL} (the program sets it from revision)`);
        return undefined;
    }
    return { path: file, object: o as Record<string, unknown> };
}

function parseGateway(c: Collector, key: string, e: Record<string, unknown>, ctx: GatewayApiContext, seen: Map<string, string>): GatewayApiGatewaySpec | undefined {
    const name = e.name as string;
    const namespace = e.namespace as string;
    const className = (e.className as string | undefined) ?? GATEWAY_CLASS.istio;
    if (!isServiceName(name)) {
        c.add(`${key}.name`, name, "must be a valid Gateway name (lowercase letters, digits and '-', a letter first)", "e.g. name: storefront");
        return undefined;
    }
    if (!isDnsLabel(className)) {
        c.add(`${key}.className`, className, "is not a GatewayClass name", `e.g. className: ${GATEWAY_CLASS.istio}`);
        return undefined;
    }
    const deployment = gatewayDeploymentName(name, className);
    if (!isServiceName(deployment)) {
        c.add(`${key}.name`, name, `makes istiod's Deployment and Service name ${deployment} longer than 63 characters`, "choose a shorter name");
        return undefined;
    }
    if (!ctx.managedNamespaces.has(namespace)) {
        c.add(`${key}.namespace`, namespace, "is not a namespace this stack manages, so nothing makes sure it exists or is injected by a revision of this mesh",
            `add it to istio-mesh:namespaces (e.g. namespaces: {${namespace}: ${ctx.targets.revisions[0]?.name ?? "default"}}), or use one of: ${[...ctx.managedNamespaces].sort().join(", ")}`);
        return undefined;
    }
    const id = `${namespace}/${name}`;
    if (seen.has(id)) {
        c.add(`${key}.name`, name, `${seen.get(id)} already is gateway ${id}`, "give each gateway of a namespace its own name");
        return undefined;
    }
    seen.set(id, key);
    const clash = ctx.helmGateways.find(g => g.namespace === namespace && g.name === deployment);
    if (clash) {
        c.add(`${key}.name`, name, `istiod would deploy ${namespace}/${deployment}, the Deployment of a gateway of istio-mesh:gateways`, "give the Gateway another name");
        return undefined;
    }
    if (targetProblem(c, `${key}.revision`, e.revision, ctx.targets, `gateway ${id}`)) {
        return undefined;
    }
    const target = e.revision as string;
    const tag = ctx.targets.tags.find(t => t.name === target);
    if (tag) {
        c.advise(`${key}.revision`, target, `is a tag: every move of tag ${target} re-deploys gateway ${id} at once, with errors for tens of seconds (istio/istio#59959)`,
            `pin it: revision: ${tag.revision} (the revision ${target} points at now); move it to a new revision as a change of its own`);
    }
    const waypoint = className === GATEWAY_CLASS.waypoint;
    if (e.waypointFor !== undefined && !waypoint) {
        c.add(`${key}.waypointFor`, e.waypointFor, `is a setting of waypoints, but className is ${className}`, `set className: ${GATEWAY_CLASS.waypoint}, or remove waypointFor`);
        return undefined;
    }
    if (waypoint && e.listeners !== undefined) {
        c.add(`${key}.listeners`, e.listeners, "is set on a waypoint, whose one listener is Istio's (HBONE, mesh:15008)", "remove listeners (set waypointFor to choose its traffic)");
        return undefined;
    }
    if (waypoint && e.manifest === undefined) {
        return {
            name, namespace, target, className, serviceType: ((e.serviceType as string | undefined) ?? "ClusterIP") as ServiceType,
            waypointFor: (e.waypointFor as WaypointFor | undefined) ?? "service",
        };
    }
    if ((e.listeners === undefined) === (e.manifest === undefined)) {
        c.add(key, { listeners: e.listeners, manifest: e.manifest }, "needs exactly one of listeners and manifest",
            "describe the Gateway with listeners: [{port: 80}], or point manifest at your own Gateway file");
        return undefined;
    }
    const listeners = e.listeners !== undefined ? parseListeners(c, `${key}.listeners`, e.listeners as Record<string, unknown>[]) : undefined;
    const manifest = e.manifest !== undefined
        ? parseManifest(c, `${key}.manifest`, e.manifest as string, { name, namespace, className, target }, ctx.disk) : undefined;
    if (!listeners && !manifest) {
        return undefined;
    }
    return {
        name, namespace, target, className, serviceType: ((e.serviceType as string | undefined) ?? DEFAULTS.gatewayServiceType) as ServiceType,
        ...(listeners ? { listeners } : {}), ...(manifest ? { manifest } : {}),
        ...(waypoint ? { waypointFor: (e.waypointFor as WaypointFor | undefined) ?? "service" } : {}),
    };
}

/** Reads `gatewayApi` (its shape already checked). */
export function parseGatewayApi(c: Collector, raw: Record<string, unknown>, ctx: GatewayApiContext): GatewayApiSpec {
    const crds = parseCrds(c, raw, ctx.targets.revisions);
    const seen = new Map(ctx.helmGateways.map((g, i) => [`${g.namespace}/${g.name}`, `gateways[${i}]`]));
    const gateways = ((raw.gateways ?? []) as Record<string, unknown>[])
        .map((e, i) => parseGateway(c, `${KEY}.gateways[${i}]`, e, ctx, seen))
        .filter((g): g is GatewayApiGatewaySpec => g !== undefined);
    return { ...(crds ? { crds } : {}), gateways };
}
