/**
 * Chart values that carry what the program itself decides (a revision's name, the istio namespace, whether CNI is
 * on, the images, a gateway's replicas and Service): a user override of one of them would make the chart render a
 * different mesh than the one the program plans, checks and records. Each path names the config key to use instead.
 * Paths are dotted into the values tree; `{key}` stands for the list entry's own key path (e.g. `gateways[0]`).
 */
export type Chart = "istiod" | "gateway" | "cni";

export const OWNED_VALUES: Readonly<Record<Chart, Readonly<Record<string, string>>>> = {
    istiod: {
        "revision": "{key}.name",
        "revisionTags": "tags",
        "global.istioNamespace": "istioNamespace",
        "pilot.cni.enabled": "cni.enabled",
        "istio_cni.enabled": "cni.enabled",
        "istio_cni.chained": "cni.chained",
        "global.hub": "registry.hub",
        "global.tag": "registry.tag",
        "global.imagePullSecrets": "registry.imagePullSecrets",
    },
    gateway: {
        "name": "{key}.name",
        "revision": "{key}.revision",
        "replicaCount": "{key}.replicas",
        "autoscaling.enabled": "{key}.replicas",
        "service.type": "{key}.serviceType",
        "podDisruptionBudget": "{key}.podDisruptionBudget",
        "imagePullSecrets": "registry.imagePullSecrets",
    },
    cni: {
        "chained": "cni.chained",
        "cni.chained": "cni.chained",
        "global.istioNamespace": "istioNamespace",
        "global.hub": "registry.hub",
        "global.tag": "registry.tag",
        "global.imagePullSecrets": "registry.imagePullSecrets",
    },
};

function at(values: Record<string, unknown>, path: string): { found: boolean; value?: unknown } {
    let node: unknown = values;
    for (const part of path.split(".")) {
        if (typeof node !== "object" || node === null || Array.isArray(node) || !(part in node)) {
            return { found: false };
        }
        node = (node as Record<string, unknown>)[part];
    }
    return { found: true, value: node };
}

/**
 * The owned paths a user's overrides set to something other than what the program renders (`rendered`: the
 * chart values the program builds without overrides), with the config key that owns each.
 */
export function ownedValueConflicts(chart: Chart, overrides: Record<string, unknown>, rendered: Record<string, unknown>):
    { path: string; value: unknown; key: string }[] {
    const conflicts: { path: string; value: unknown; key: string }[] = [];
    for (const [path, key] of Object.entries(OWNED_VALUES[chart])) {
        const mine = at(overrides, path);
        if (mine.found && JSON.stringify(mine.value) !== JSON.stringify(at(rendered, path).value)) {
            conflicts.push({ path, value: mine.value, key });
        }
    }
    return conflicts;
}
