/** The istio-mesh CrossGuard pack: `pulumi preview --policy-pack ./policies` (see README.md). */
import { PolicyPack } from "@pulumi/policy";
import { istioMeshPolicies, PACK_ENFORCEMENT_LEVEL, PACK_NAME } from "./policies";

new PolicyPack(PACK_NAME, {
    policies: istioMeshPolicies,
    // Each policy sets its own level; the pack config can change any of them.
    enforcementLevel: PACK_ENFORCEMENT_LEVEL,
});
