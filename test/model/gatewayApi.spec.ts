import * as assert from "assert";
import { Binding, MeshState } from "../../model/facts";
import { gatewayApiCrdsProblem, gatewayObject, planGatewayApi } from "../../model/gatewayApi";
import { GatewayApiGatewaySpec } from "../../model/config";
import { retirementProblem, revisionUses } from "../../model/retirement";

const at = (target: string, revision: string, version: string): Binding => ({ target, revision, version });

describe("model/gatewayApi: a step's Gateway API plan", () => {
    const before = {
        crds: { version: "1.5.1", channel: "standard" as const },
        gateways: { "shop/a": at("1-30", "1-30", "1.30.2"), "shop/b": at("1-30", "1-30", "1.30.2"), "shop/c": at("default", "1-30", "1.30.2") },
    };

    it("nothing moves: no line, no wave", () => {
        const plan = planGatewayApi(before, before, [], 1);
        assert.deepStrictEqual(plan, { moving: [], waves: [], followingMovedTags: [], summary: [] });
    });

    it("moves pinned Gateways in waves of `parallel`, and says which wave each is in", () => {
        const now = { ...before, gateways: { ...before.gateways, "shop/a": at("1-31", "1-31", "1.31.0"), "shop/b": at("1-31", "1-31", "1.31.0") } };
        assert.deepStrictEqual(planGatewayApi(before, now, [], 1).waves, [["shop/a"], ["shop/b"]]);
        assert.deepStrictEqual(planGatewayApi(before, now, [], 5).waves, [["shop/a", "shop/b"]]);
        assert.deepStrictEqual(planGatewayApi(before, now, [], 1).summary, [
            "Gateway API gateway shop/a: 1-30 (1.30.2) -> 1-31 (1.31.0), deployed by istiod-1-31 (wave 1 of 2)",
            "Gateway API gateway shop/b: 1-30 (1.30.2) -> 1-31 (1.31.0), deployed by istiod-1-31 (wave 2 of 2)",
        ]);
    });

    it("a Gateway following a moved tag is not in a wave (the tag moves it at once) and is named with istio#59959", () => {
        const now = { ...before, gateways: { ...before.gateways, "shop/c": at("default", "1-31", "1.31.0") } };
        const plan = planGatewayApi(before, now, [{ tag: "default" }], 1);
        assert.deepStrictEqual(plan.waves, []);
        assert.deepStrictEqual(plan.followingMovedTags, [{ gateway: "shop/c", tag: "default" }]);
        assert.match(plan.summary[0], /at once with every gateway following tag default \(istio\/istio#59959\): pin it/);
    });

    it("pinning a Gateway that followed a tag is its own move (label only when the revision stays)", () => {
        const now = { ...before, gateways: { ...before.gateways, "shop/c": at("1-30", "1-30", "1.30.2") } };
        const plan = planGatewayApi(before, now, [], 1);
        assert.deepStrictEqual(plan.waves, [["shop/c"]]);
    });

    it("the CRDs' line: raised, added, left unmanaged; removed Gateways named", () => {
        assert.match(planGatewayApi(before, { ...before, crds: { version: "1.6.0", channel: "standard" } }, [], 1).crdsLine!,
            /^Gateway API CRDs: 1\.5\.1 \(standard\) -> 1\.6\.0 \(standard\), applied with the Istio CRDs, before any control plane$/);
        assert.match(planGatewayApi(undefined, before, [], 1).crdsLine!, /\(none applied by this stack\) -> 1\.5\.1/);
        const unmanaged = planGatewayApi(before, { gateways: {} }, [], 1);
        assert.match(unmanaged.crdsLine!, /1\.5\.1 \(standard\) left in the cluster, unmanaged from now on \(never deleted\)/);
        assert.deepStrictEqual(unmanaged.waves, []);
        assert.match(unmanaged.summary[0], /shop\/a: 1-30 \(1\.30\.2\) -> \(removed, its Deployment with it\)/);
    });
});

describe("model/gatewayApi: the CRDs are never lowered nor switched", () => {
    const previous = (version: string, channel: "standard" | "experimental") => ({ gatewayApi: { crds: { version, channel }, gateways: {} } }) as unknown as MeshState;

    it("keeps, raises, first install and unmanaged pass", () => {
        assert.strictEqual(gatewayApiCrdsProblem(previous("1.5.1", "standard"), { version: "1.5.1", channel: "standard" }), undefined);
        assert.strictEqual(gatewayApiCrdsProblem(previous("1.5.1", "standard"), { version: "1.6.0", channel: "standard" }), undefined);
        assert.strictEqual(gatewayApiCrdsProblem(undefined, { version: "1.5.1", channel: "standard" }), undefined);
        assert.strictEqual(gatewayApiCrdsProblem(previous("1.6.0", "standard"), undefined), undefined);
    });

    it("a lower release is refused naming both releases and the way out", () => {
        const p = gatewayApiCrdsProblem(previous("1.6.0", "standard"), { version: "1.5.1", channel: "standard" })!;
        assert.strictEqual(p.key, "istio-mesh:gatewayApi.version");
        assert.match(p.message, /at 1\.6\.0; applying 1\.5\.1 would downgrade them/);
        assert.match(p.fix, /"1\.6\.0" or newer, or .*"unmanaged"/);
    });

    it("a channel change either way is refused, saying why", () => {
        assert.match(gatewayApiCrdsProblem(previous("1.5.1", "experimental"), { version: "1.5.1", channel: "standard" })!.message, /drop the experimental fields/);
        assert.match(gatewayApiCrdsProblem(previous("1.5.1", "standard"), { version: "1.5.1", channel: "experimental" })!.message, /safe-upgrades/);
    });
});

describe("model/gatewayApi: the Gateway object", () => {
    const gw: GatewayApiGatewaySpec = {
        name: "storefront", namespace: "shop", target: "1-30", className: "istio", serviceType: "ClusterIP",
        listeners: [
            { name: "https", port: 443, protocol: "HTTPS", hostname: "shop.example.com", certificate: "shop-tls", routesFrom: "All" },
            { name: "tls", port: 8443, protocol: "TLS", routesFrom: "Same" },
        ],
    };

    it("from listeners: TLS terminated with the certificate, or passed through; allowed routes; pinned; service type", () => {
        assert.deepStrictEqual(gatewayObject(gw), {
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway",
            metadata: { name: "storefront", namespace: "shop", labels: { "istio.io/rev": "1-30" }, annotations: { "networking.istio.io/service-type": "ClusterIP" } },
            spec: {
                gatewayClassName: "istio", listeners: [
                    { name: "https", port: 443, protocol: "HTTPS", hostname: "shop.example.com",
                        tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: "shop-tls" }] }, allowedRoutes: { namespaces: { from: "All" } } },
                    { name: "tls", port: 8443, protocol: "TLS", tls: { mode: "Passthrough" }, allowedRoutes: { namespaces: { from: "Same" } } },
                ],
            },
        });
    });

    it("from a manifest: its spec, labels and annotations kept (its service type wins), server fields and status left out", () => {
        const object = {
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway",
            metadata: { name: "storefront", uid: "u", resourceVersion: "7", labels: { team: "web" }, annotations: { "networking.istio.io/service-type": "NodePort" } },
            spec: { gatewayClassName: "istio", listeners: [{ name: "web", port: 80, protocol: "HTTP" }] },
            status: { conditions: [] },
        };
        const { listeners: _, ...rest } = gw;
        assert.deepStrictEqual(gatewayObject({ ...rest, manifest: { path: "gw.yaml", object } }), {
            apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway",
            metadata: { name: "storefront", namespace: "shop", labels: { team: "web", "istio.io/rev": "1-30" }, annotations: { "networking.istio.io/service-type": "NodePort" } },
            spec: object.spec,
        });
    });
});

describe("model/retirement: a Gateway's pods keep the revision that deployed them in use", () => {
    const gatewayPod = (name: string, revision: string, labels: Record<string, string> = {}) => ({
        kind: "Pod", status: { phase: "Running" },
        metadata: {
            name, namespace: "shop", annotations: { "istio.io/rev": revision },
            labels: { "gateway.networking.k8s.io/gateway-name": "storefront", "sidecar.istio.io/inject": "false", ...labels },
        },
        spec: { containers: [{ name: "istio-proxy", image: `docker.io/istio/proxyv2:1.30.2` }] },
    });
    const cluster = (pods: object[]) => ({ namespaces: [{ kind: "Namespace", metadata: { name: "shop", labels: { "istio.io/rev": "1-31" } } }], pods } as any);

    it("a Gateway pod deployed by the retiring revision is a use, named as the gateway", () => {
        // Its pod label says the tag it follows; its annotation says who deployed it.
        const uses = revisionUses(["1-30"], t => t, cluster([gatewayPod("storefront-istio-abc", "1-30", { "istio.io/rev": "default" })]));
        assert.deepStrictEqual(uses, [{ pod: "shop/storefront-istio-abc", revision: "1-30", how: "gateway shop/storefront, deployed by 1-30" }]);
        const problem = retirementProblem(uses, { revisions: { "1-30": { version: "1.30.2" } } } as unknown as MeshState)!;
        assert.match(problem.message, /revision 1-30 \(1\.30\.2\) leaves the config, but 1 running or pending pod uses it: shop\/storefront-istio-abc \(gateway shop\/storefront, deployed by 1-30\)/);
        assert.match(problem.fix, /istio-mesh:gatewayApi\.gateways/);
    });

    it("a Gateway pod deployed by a revision that stays is none, whatever its namespace's label", () => {
        assert.deepStrictEqual(revisionUses(["1-30"], t => t, cluster([gatewayPod("storefront-istio-abc", "1-31")])), []);
    });
});
