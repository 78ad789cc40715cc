/**
 * The type tokens of the program's components, defined once: the components register under them and
 * `npm run plan` (plan/report.ts) groups a preview's changes by them. Plain data, so the plan imports no Pulumi.
 */
export const TYPE = {
    mesh: "istio-mesh:index:IstioMesh",
    base: "istio-mesh:index:IstioBase",
    revision: "istio-mesh:index:IstioRevision",
    tags: "istio-mesh:index:RevisionTags",
    cni: "istio-mesh:index:IstioCni",
    ztunnel: "istio-mesh:index:IstioZtunnel",
    gateway: "istio-mesh:index:IstioGateway",
    gatewayApiCrds: "istio-mesh:index:GatewayApiCrds",
    gatewayApiGateway: "istio-mesh:index:GatewayApiGateway",
    /** Former component around each namespace's patch: now only in the patches' aliases (namespaceBinding.ts). */
    namespaceBinding: "istio-mesh:index:NamespaceBinding",
} as const;

/** The resource whose `protect` makes `pulumi destroy` refuse until istio-mesh:decommission lifts it (README, Safety). */
export const DECOMMISSION_LOCK = "decommission-lock";
