/** Defaults the schema documents and the parsers apply; derived defaults (e.g. "the istio namespace") live in the parsers. */
export const DEFAULTS = {
    gatewayServiceType: "LoadBalancer",
    gatewayReplicas: 2,
    pullSecretName: "istio-registry-credentials",
    renderer: "helm",
    restartTimeout: "5m",
    requestTimeout: "30s",
} as const;
