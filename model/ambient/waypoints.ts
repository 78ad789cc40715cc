/**
 * Waypoints (pure): Gateway API gateways of class istio-waypoint (model/config/gatewayApi.ts), each pinned to a
 * revision like any Gateway API gateway, and which ambient namespace sends its traffic through which.
 */
import { gatewayId } from "../facts";
import type { MeshSpec } from "../config/spec";

/** The waypoints of the spec: "namespace/name" -> the revision or tag that deploys it. */
export function waypoints(spec: Pick<MeshSpec, "gatewayApi">): Record<string, string> {
    return Object.fromEntries(spec.gatewayApi.gateways.filter(g => g.waypointFor).map(g => [gatewayId(g), g.target]));
}

/**
 * The waypoint each ambient namespace uses (istio.io/use-waypoint on the namespace): its own, when it has exactly one.
 * A namespace with several chooses per service or pod itself (the label is Istio's to read there too).
 */
export function namespaceWaypoints(spec: Pick<MeshSpec, "gatewayApi" | "ambient">): Record<string, string> {
    const out: Record<string, string> = {};
    for (const ns of spec.ambient?.namespaces ?? []) {
        const own = spec.gatewayApi.gateways.filter(g => g.waypointFor && g.namespace === ns);
        if (own.length === 1) {
            out[ns] = own[0].name;
        }
    }
    return out;
}
