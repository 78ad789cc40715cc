import type { ZtunnelRollout } from "../../istio";

/** Defaults the schema documents and the parsers apply; derived defaults (e.g. "the istio namespace") live in the parsers. */
export const DEFAULTS = {
    gatewayServiceType: "LoadBalancer",
    gatewayReplicas: 2,
    pullSecretName: "istio-registry-credentials",
    renderer: "helm",
    restartTimeout: "5m",
    requestTimeout: "30s",
} as const;

/** The defaults of `ambient.ztunnel` the schema documents. */
export const ZTUNNEL_DEFAULTS = {
    rollout: "nodeByNode" as ZtunnelRollout,
    nodesAtOnce: 1,
    cordon: true,
    drain: false,
    drainTimeout: "5m",
    readyTimeout: "5m",
    pauseBetween: "0s",
} as const;
