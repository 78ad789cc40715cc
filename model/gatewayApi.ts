/**
 * What a step does to the Gateway API (pure): its CRDs' release before and after, the Gateways that move to another
 * revision (in waves, one awaited before the next), and those a tag move re-deploys at once (istio/istio#59959).
 */
import {
    compareVersions, GATEWAY_API_GROUP, GATEWAY_API_UNMANAGED, GATEWAY_SERVICE_TYPE_ANNOTATION, GatewayApiChannel, REV_LABEL, revisionWithVersion,
    WAYPOINT_FOR_LABEL, WAYPOINT_LISTENER,
} from "../istio";
import { CONFIG_NAMESPACE, ConfigProblem, GatewayApiGatewaySpec, GatewayListenerSpec } from "./config";
import type { Binding, GatewayApiState, MeshState, Move } from "./facts";

type Crds = { readonly version: string; readonly channel: GatewayApiChannel };

export interface GatewayApiPlan {
    /** The CRDs' change, when they change: `to` absent when this step leaves them unmanaged (they stay). */
    readonly crds?: { readonly from?: Crds; readonly to?: Crds };
    /** Gateways whose revision or version changes, added or removed. */
    readonly moving: readonly Move[];
    /**
     * The Gateways istiod re-deploys, in the waves `up` moves them in: each wave's Deployments are awaited (and the
     * pause kept) before the next wave's Gateways are relabelled. Gateways following a moved tag are not in a wave:
     * the tag moves them all at once.
     */
    readonly waves: readonly (readonly string[])[];
    /** Gateways left following a tag that this step moves: re-deployed at once when it moves (istio/istio#59959). */
    readonly followingMovedTags: readonly { readonly gateway: string; readonly tag: string }[];
    /** The CRDs' line of the step's summary, when they change (it goes with the Istio CRDs', first). */
    readonly crdsLine?: string;
    /** One line per Gateway that moves, in the order `up` moves them. */
    readonly summary: readonly string[];
}

const show = (c: Crds) => `${c.version} (${c.channel})`;
const bindingText = (b: Binding) => (b.target === b.revision ? revisionWithVersion(b) : `${b.target} -> ${revisionWithVersion(b)}`);

/** Chunks of `size`, in order. */
function chunks<T>(items: readonly T[], size: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += size) {
        out.push(items.slice(i, i + size));
    }
    return out;
}

/**
 * The Gateway API part of a step. `tagsMoved` are the tags this step moves; `parallel` is how many Gateways move at
 * once (the rollout's parallelNamespaces).
 */
export function planGatewayApi(before: GatewayApiState | undefined, now: GatewayApiState, tagsMoved: readonly { tag: string }[], parallel: number):
    GatewayApiPlan {
    const from = before?.crds;
    const to = now.crds;
    const crdsChange = (from?.version !== to?.version || from?.channel !== to?.channel) && (from || to) ? { ...(from ? { from } : {}), ...(to ? { to } : {}) } : undefined;
    const crdsLine = !crdsChange ? undefined : crdsChange.to
        ? `Gateway API CRDs: ${from ? show(from) : "(none applied by this stack)"} -> ${show(crdsChange.to)}, applied with the Istio CRDs, before any control plane`
        : `Gateway API CRDs: ${show(crdsChange.from!)} left in the cluster, ${GATEWAY_API_UNMANAGED} from now on (never deleted)`;
    const ids = [...new Set([...Object.keys(before?.gateways ?? {}), ...Object.keys(now.gateways)])].sort();
    const moving: Move[] = ids.map(name => ({ name, from: before?.gateways[name], to: now.gateways[name] }))
        .filter(m => !m.from || !m.to || m.from.target !== m.to.target || m.from.revision !== m.to.revision || m.from.version !== m.to.version);
    const moved = new Set(tagsMoved.map(t => t.tag));
    // A Gateway whose label stays a tag that moves: the tag moves it, not its own change.
    const byTag = (m: Move) => !!m.from && !!m.to && m.from.target === m.to.target && moved.has(m.to.target);
    const followingMovedTags = moving.filter(byTag).map(m => ({ gateway: m.name, tag: m.to!.target }));
    const waves = chunks(moving.filter(m => m.to && !byTag(m)).map(m => m.name), Math.max(1, parallel));
    const summary: string[] = [];
    const waveOf = new Map(waves.flatMap((w, i) => w.map(g => [g, i + 1] as const)));
    for (const m of moving) {
        const change = `${m.from ? bindingText(m.from) : "(new)"} -> ${m.to ? bindingText(m.to) : "(removed, its Deployment with it)"}`;
        if (byTag(m)) {
            summary.push(`Gateway API gateway ${m.name}: ${change}, re-deployed by istiod-${m.to!.revision} at once with every gateway following tag ` +
                `${m.to!.target} (istio/istio#59959): pin it with its own revision`);
        } else if (m.to) {
            summary.push(`Gateway API gateway ${m.name}: ${change}, deployed by istiod-${m.to.revision}` +
                (waves.length > 1 ? ` (wave ${waveOf.get(m.name)} of ${waves.length})` : ""));
        } else {
            summary.push(`Gateway API gateway ${m.name}: ${change}`);
        }
    }
    return { ...(crdsChange ? { crds: crdsChange, crdsLine } : {}), moving, waves, followingMovedTags, summary };
}

/**
 * The refusal of a step that would lower the Gateway API CRDs' release (a revert of the step that raised them), or
 * change their channel (either way breaks: see the messages). Undefined when the step keeps, raises or stops
 * managing them: the program never downgrades them.
 */
export function gatewayApiCrdsProblem(previous: MeshState | undefined, crds: Crds | undefined): ConfigProblem | undefined {
    const installed = previous?.gatewayApi?.crds;
    if (!installed || !crds) {
        return undefined;
    }
    const key = `${CONFIG_NAMESPACE}:gatewayApi`;
    if (compareVersions(crds.version, installed.version) < 0) {
        return {
            key: `${key}.version`, value: crds.version,
            message: `the Gateway API CRDs are at ${installed.version}; applying ${crds.version} would downgrade them, and a downgrade can drop ` +
                "fields and versions the Gateways and routes in the cluster use. Nothing was applied",
            fix: `keep ${key}.version at "${installed.version}" or newer, or set it to "${GATEWAY_API_UNMANAGED}" to leave the CRDs as they are`,
        };
    }
    if (installed.channel !== crds.channel) {
        const why = installed.channel === "experimental"
            ? "the standard CRDs would drop the experimental fields of the kinds in both (Gateway, HTTPRoute...), and with them what objects set there"
            : "Gateway API's own safe-upgrades ValidatingAdmissionPolicy (from 1.5) refuses experimental CRDs over standard ones";
        return {
            key: `${key}.channel`, value: crds.channel,
            message: `the Gateway API CRDs are of the ${installed.channel} channel; ${why}. Nothing was applied`,
            fix: `keep ${key}.channel: ${installed.channel}; to change channel, set ${key}.version to "${GATEWAY_API_UNMANAGED}", replace the CRDs by hand ` +
                "(Gateway API's install guide), then set the version and channel again",
        };
    }
    return undefined;
}

/** A Gateway API object as applied: the fields the program sets. */
export interface GatewayObject {
    readonly apiVersion: string;
    readonly kind: "Gateway";
    readonly metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
    readonly spec: Record<string, unknown>;
}

function listener(l: GatewayListenerSpec): Record<string, unknown> {
    const tls = l.protocol === "HTTPS" || l.protocol === "TLS"
        ? { tls: l.certificate ? { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: l.certificate }] } : { mode: "Passthrough" } } : {};
    return {
        name: l.name, port: l.port, protocol: l.protocol, ...(l.hostname ? { hostname: l.hostname } : {}), ...tls,
        allowedRoutes: { namespaces: { from: l.routesFrom } },
    };
}

/** Fields of a read object that the API server owns: left out of what is applied. */
const SERVER_FIELDS = ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"];

/**
 * The Gateway the program applies: built from the listeners, or the user's manifest with its server-owned fields
 * and status left out. Either way labelled with its own revision (istio.io/rev), so a tag move does not move it,
 * and with Istio's service-type annotation (a manifest's own kept).
 */
export function gatewayObject(gw: GatewayApiGatewaySpec): GatewayObject {
    const own = gw.manifest?.object as { apiVersion?: string; metadata?: Record<string, unknown>; spec?: Record<string, unknown> } | undefined;
    const metadata = Object.fromEntries(Object.entries(own?.metadata ?? {}).filter(([k]) => !SERVER_FIELDS.includes(k)));
    const annotations = { [GATEWAY_SERVICE_TYPE_ANNOTATION]: gw.serviceType, ...(metadata.annotations as Record<string, string> | undefined) };
    return {
        apiVersion: own?.apiVersion ?? `${GATEWAY_API_GROUP}/v1`,
        kind: "Gateway",
        metadata: {
            ...metadata, name: gw.name, namespace: gw.namespace, annotations,
            labels: {
                ...(metadata.labels as Record<string, string> | undefined), [REV_LABEL]: gw.target,
                ...(gw.waypointFor ? { [WAYPOINT_FOR_LABEL]: gw.waypointFor } : {}),
            },
        },
        // A waypoint's one listener is Istio's HBONE listener (istio/ambient.ts).
        spec: own?.spec ?? { gatewayClassName: gw.className, listeners: gw.waypointFor ? [{ ...WAYPOINT_LISTENER }] : (gw.listeners ?? []).map(listener) },
    };
}
