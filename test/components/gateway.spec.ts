/**
 * Gateways whose LoadBalancer Service never gets an external IP (bare metal, kind, KWOK): the real Kubernetes
 * provider waits up to 10 minutes for one, so the choice is the user's (gateways[].awaitLoadBalancer).
 */
import * as assert from "assert";
import { MeshConfigError, parseMeshConfig, RawConfig } from "../../model/config";
import { ofType, runProgram, TYPES } from "../support/mocks";

const mesh = (gateway: Record<string, unknown>): RawConfig => ({
    revisions: [{ version: "1.30.2" }],
    gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "1-30", ...gateway }],
});
const serviceAnnotations = async (gateway: Record<string, unknown>) => {
    const run = await runProgram(mesh(gateway));
    const [chart] = ofType(run, TYPES.chart).filter(c => c.name === "gateway-istio-ingress/ingress");
    return chart.inputs.values.service?.annotations ?? {};
};

describe("IstioGateway: the LoadBalancer await", () => {
    it("waits for the external IP by default (the provider's own await)", async () => {
        assert.deepStrictEqual(await serviceAnnotations({}), {});
    });

    it("awaitLoadBalancer: false marks the Service pulumi.com/skipAwait, nothing else", async () => {
        assert.deepStrictEqual(await serviceAnnotations({ awaitLoadBalancer: false }), { "pulumi.com/skipAwait": "true" });
    });

    it("keeps the user's own Service annotations beside it", async () => {
        const annotations = await serviceAnnotations({ awaitLoadBalancer: false, values: { service: { annotations: { team: "edge" } } } });
        assert.deepStrictEqual(annotations, { team: "edge", "pulumi.com/skipAwait": "true" });
    });

    it("NodePort and ClusterIP gateways have no await to skip: setting it is refused with the key", () => {
        assert.throws(() => parseMeshConfig(mesh({ serviceType: "NodePort", awaitLoadBalancer: false })), (e: unknown) =>
            e instanceof MeshConfigError && /istio-mesh:gateways\[0\]\.awaitLoadBalancer = false: only applies to serviceType LoadBalancer/.test(e.message)
            && /Fix: remove awaitLoadBalancer, or set serviceType: LoadBalancer/.test(e.message));
    });

    it("refuses a value that is not a boolean, naming the key", () => {
        assert.throws(() => parseMeshConfig(mesh({ awaitLoadBalancer: "no" })), /gateways\[0\]\.awaitLoadBalancer/);
    });
});
