/**
 * Chart value overrides may tune a chart, not contradict the program: an override of a value the program owns
 * (istio/owned-values.ts) is refused, naming the config key that sets it.
 */
import { Chart, cniValues, gatewayValues, istiodValues, ownedValueConflicts } from "../../istio";
import { Collector } from "./problems";
import { CniSpec, GatewaySpec, MeshSpec, RevisionSpec } from "./spec";

function report(c: Collector, chart: Chart, key: string, overrides: Record<string, unknown>, rendered: Record<string, unknown>): void {
    for (const conflict of ownedValueConflicts(chart, overrides, rendered)) {
        const owner = conflict.key.replace("{key}", key);
        c.add(`${key}.values.${conflict.path}`, conflict.value, `overrides what istio-mesh:${owner} decides, so the chart would render another mesh than the one planned and checked`,
            `remove it and set istio-mesh:${owner} instead`);
    }
}

/** Reports every owned value a revision, gateway or CNI override sets. `index` maps a revision or gateway to its list key. */
export function checkOwnedValues(c: Collector, spec: Pick<MeshSpec, "istioNamespace" | "images" | "cni">,
                                 revisions: readonly [RevisionSpec, string][], gateways: readonly [GatewaySpec, string][], cni?: CniSpec): void {
    for (const [r, key] of revisions) {
        report(c, "istiod", key, r.values, istiodValues({
            version: r.version, revision: r.name, istioNamespace: spec.istioNamespace, images: spec.images,
            cni: cni ? { enabled: true, chained: cni.chained } : undefined,
        }));
    }
    for (const [g, key] of gateways) {
        report(c, "gateway", key, g.values, gatewayValues({
            name: g.name, revision: g.target, proxyVersion: "", serviceType: g.serviceType, replicas: g.replicas,
            podDisruptionBudget: g.podDisruptionBudget, imagePullSecrets: spec.images.imagePullSecrets,
        }));
    }
    if (cni) {
        report(c, "cni", "cni", cni.values, cniValues({ version: cni.version, chained: cni.chained, istioNamespace: spec.istioNamespace, images: spec.images }));
    }
}
