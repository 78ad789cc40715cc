import * as assert from "assert";
import { injectionMismatches, proxyStatusLines, WorkloadPods } from "../../demo/proxyStatus";
import { pod } from "../support/cluster";

/** A pod as Istio's injector leaves it (native istio-proxy sidecar, status annotation, no istio.io/rev label). */
const injected = (name: string, revision: string, version: string) => pod("ns", name, undefined, { revision, version });
const plain = (name: string) => pod("ns", name, undefined);

const TARGETS: Record<string, { revision: string; version: string }> = {
    shop: { revision: "1-31", version: "1.31.0" },
    cart: { revision: "1-30", version: "1.30.4" },
};

describe("proxy status of the local cluster's workloads", () => {
    const onTarget = (): WorkloadPods[] => [
        { namespace: "shop", workload: "deployment/web", pods: [injected("web-a", "1-31", "1.31.0"), injected("web-b", "1-31", "1.31.0")] },
        { namespace: "cart", workload: "deployment/cart", pods: [injected("cart-a", "1-30", "1.30.4")] },
    ];

    it("no mismatch when every pod is injected by its namespace's revision with that revision's proxy", () => {
        assert.deepStrictEqual(injectionMismatches(onTarget(), ns => TARGETS[ns]), []);
    });

    it("a namespace label moved without a restart: names the workload, the pod and the revision that injected it", () => {
        const workloads = onTarget();
        workloads[0] = { ...workloads[0], pods: [injected("web-a", "1-30", "1.30.4"), injected("web-b", "1-31", "1.31.0")] };
        assert.deepStrictEqual(injectionMismatches(workloads, ns => TARGETS[ns]),
            ["shop/deployment/web: pod web-a was injected by revision 1-30 (proxy 1.30.4), expected revision 1-31 (proxy 1.31.0)"]);
    });

    it("the right revision with another proxy version is a mismatch (an in-place upgrade without a restart)", () => {
        const workloads = onTarget();
        workloads[1] = { ...workloads[1], pods: [injected("cart-a", "1-30", "1.30.3")] };
        assert.deepStrictEqual(injectionMismatches(workloads, ns => TARGETS[ns]),
            ["cart/deployment/cart: pod cart-a was injected by revision 1-30 (proxy 1.30.3), expected revision 1-30 (proxy 1.30.4)"]);
    });

    it("an uninjected pod and a workload without pods are mismatches, never passes", () => {
        const workloads: WorkloadPods[] = [
            { namespace: "shop", workload: "deployment/web", pods: [plain("web-a")] },
            { namespace: "cart", workload: "deployment/cart", pods: [] },
        ];
        assert.deepStrictEqual(injectionMismatches(workloads, ns => TARGETS[ns]), [
            "shop/deployment/web: pod web-a has no sidecar, expected one injected by revision 1-31 (proxy 1.31.0)",
            "cart/deployment/cart: no running pod, expected pods injected by revision 1-30 (proxy 1.30.4)",
        ]);
    });

    it("namespaces without a target are not checked", () => {
        const workloads: WorkloadPods[] = [{ namespace: "other", workload: "deployment/x", pods: [plain("x-a")] }];
        assert.deepStrictEqual(injectionMismatches(workloads, ns => TARGETS[ns]), []);
    });

    it("lists each pod as proxy-status does: workload, pod, revision, proxy version", () => {
        assert.deepStrictEqual(proxyStatusLines([{ namespace: "shop", workload: "deployment/web", pods: [injected("web-a", "1-31", "1.31.0"), plain("web-b")] }]),
            ["shop/deployment/web  web-a  1-31  1.31.0", "shop/deployment/web  web-b  (no sidecar)  -"]);
    });
});
