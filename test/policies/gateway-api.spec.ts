import * as yaml from "js-yaml";
import { gatewayApiSupported as policy } from "../../policies/gateway-api";
import { happySpec, renderMesh, resource, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

/** The program's step applying a release. */
const step = (version: string) => resource("command:local:Command", "gateway-api-crds", { environment: { GATEWAY_API_VERSION: version } });
/** A release's CRDs in a ConfigGroup, as render mode writes them. */
const rendered = (version: string) => resource("kubernetes:yaml/v2:ConfigGroup", "gateway-api-crds-manifest", {
    yaml: yaml.dump({
        apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition",
        metadata: { name: "gateways.gateway.networking.k8s.io", annotations: { "gateway.networking.k8s.io/bundle-version": `v${version}` } },
        spec: { group: "gateway.networking.k8s.io" },
    }),
});

describe("istio-gateway-api-version-supported", () => {
    // The happy mesh runs 1.29.3 (no verified row: never refused) and 1.30.2 (Gateway API 1.5.x and 1.6.x).
    for (const view of VIEWS) {
        it(`accepts a release 1.30 supports (${view})`, () =>
            assertNoStackViolations(policy, stackArgs([...renderMesh(happySpec(), view), step("1.5.1")])));

        it(`refuses a release 1.30 does not support, naming both versions (${view})`, () =>
            assertHasStackViolation(policy, stackArgs([...renderMesh(happySpec(), view), step("1.7.0")]), {
                message: /step gateway-api-crds: revision 1-30: Istio 1\.30\.2 supports Gateway API 1\.5\.x to 1\.6\.x .*not Gateway API 1\.7\.0; use one of 1\.5\.0, 1\.5\.1, 1\.6\.0/,
                urn: "urn:pulumi:test::istio-mesh::command:local:Command::gateway-api-crds",
            }));
    }

    it("reads the release of CRDs in a ConfigGroup (render mode) by their bundle-version", () =>
        assertHasStackViolation(policy, stackArgs([...renderMesh(happySpec()), rendered("1.4.1")]), {
            message: /CustomResourceDefinition gateways\.gateway\.networking\.k8s\.io: revision 1-30: .*not Gateway API 1\.4\.1/,
        }));

    it("does nothing without Gateway API CRDs in the plan", () => assertNoStackViolations(policy, stackArgs(renderMesh(happySpec()))));
});
