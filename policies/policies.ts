/** The istio-mesh policies, as values: the pack serves them, evaluatePolicies runs them, tests import them. */
import { EnforcementLevel, Policies } from "@pulumi/policy";
import { cniControlPlaneSkew } from "./cni";
import { maxControlPlanes } from "./control-plane-count";
import { controlPlaneSkew, inPlaceUpgradeSkew } from "./control-plane-skew";
import { versionNotEndOfLife } from "./end-of-life";
import { gatewayApiSupported } from "./gateway-api";
import { kubernetesVersionSupported } from "./kubernetes-support";
import { namespaceSingleInjectionLabel } from "./namespace-labels";
import { podsNonRootUnprivileged } from "./pod-security";
import { promotionSoaked } from "./promotion";
import { proxyNotNewerThanControlPlane } from "./proxy-skew";
import { revisionReferencesInstalled } from "./references";
import { imagesFromAllowedRegistries, privateHubPullSecrets } from "./registries";
import { revisionNameMatchesVersion } from "./revision-names";
import { webhooksRemovedWithRevision } from "./webhooks";
import { ztunnelControlPlaneSkew } from "./ztunnel";

export const PACK_NAME = "istio-mesh";
/** The level of a policy that sets none; every policy here sets its own. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "mandatory";

export const istioMeshPolicies: Policies = [
    proxyNotNewerThanControlPlane,
    controlPlaneSkew,
    inPlaceUpgradeSkew,
    revisionReferencesInstalled,
    namespaceSingleInjectionLabel,
    cniControlPlaneSkew,
    ztunnelControlPlaneSkew,
    kubernetesVersionSupported,
    versionNotEndOfLife,
    revisionNameMatchesVersion,
    maxControlPlanes,
    podsNonRootUnprivileged,
    imagesFromAllowedRegistries,
    privateHubPullSecrets,
    webhooksRemovedWithRevision,
    promotionSoaked,
    gatewayApiSupported,
];
