/**
 * Waypoints (pure): Gateway API gateways of class istio-waypoint (model/config/gatewayApi.ts), each pinned to a
 * revision and moved like any Gateway API gateway (model/gatewayApi.ts), and which ambient namespace sends its traffic
 * through which.
 */
import type { MeshSpec } from "../config/spec";

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
