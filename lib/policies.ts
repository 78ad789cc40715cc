/**
 * The policy pack's policies as values (`import { istioMeshPolicies } from "istio-mesh/policies"`), for a pack of
 * your own: `new PolicyPack("istio", { policies: istioMeshPolicies })`. Needs @pulumi/policy (a peer dependency).
 * The pack itself, to run as it is, is the directory policies/ (README, "As a library").
 */
export { istioMeshPolicies, PACK_ENFORCEMENT_LEVEL, PACK_NAME } from "../policies/policies";
