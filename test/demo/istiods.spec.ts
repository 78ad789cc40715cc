import * as assert from "assert";
import { deploymentEnv, injectorRevisions, istiodsReady, IstiodState, routesFile, webhookTargets } from "../../demo/istiods";

describe("local istiod supervisor: what it runs and routes", () => {
    it("runs one istiod per injector ConfigMap, named by its revision", () => {
        assert.deepStrictEqual(injectorRevisions(["istio-1-31", "istio-sidecar-injector-1-31", "istio-ca-root-cert", "istio-sidecar-injector-1-30", "istio-sidecar-injector"]),
            ["1-30", "1-31"]);
    });

    it("runs the local istiod with the Deployment's ambient switch, and nothing else of its environment", () => {
        const deployment = (env: object[]) => ({ spec: { template: { spec: { containers: [{ name: "discovery", env }] } } } });
        assert.deepStrictEqual(deploymentEnv(deployment([
            { name: "PILOT_ENABLE_AMBIENT", value: "true" }, { name: "PILOT_TRACE_SAMPLING", value: "1" },
            { name: "REVISION", valueFrom: { fieldRef: { fieldPath: "metadata.labels['istio.io/rev']" } } },
        ])), { PILOT_ENABLE_AMBIENT: "true" });
        assert.deepStrictEqual(deploymentEnv(deployment([{ name: "PILOT_TRACE_SAMPLING", value: "1" }])), {});
    });

    it("routes the ClusterIP of istiod's Service at each webhook port (targetPort 15017), and nothing else", () => {
        const service = { spec: { clusterIP: "10.96.4.7", ports: [
            { name: "grpc-xds", port: 15010, targetPort: 15010 },
            { name: "https-webhook", port: 443, targetPort: 15017 },
            { name: "http-monitoring", port: 15014, targetPort: 15014 },
        ] } };
        assert.deepStrictEqual(webhookTargets(service), ["10.96.4.7:443"]);
        assert.deepStrictEqual(webhookTargets({ spec: { clusterIP: "fd00::7", ports: [{ port: 443, targetPort: 15017 }] } }), ["[fd00::7]:443"]);
        assert.deepStrictEqual(webhookTargets({ spec: { clusterIP: "None", ports: [{ port: 443, targetPort: 15017 }] } }), []);
        assert.deepStrictEqual(webhookTargets(undefined), []);
    });

    it("writes a route to 127.0.0.1 for each running istiod, none for one that failed", () => {
        const states: IstiodState[] = [
            { revision: "1-30", webhookPort: 41001, routes: ["10.96.4.7:443"], ready: true, log: "l" },
            { revision: "1-31", routes: [], ready: false, error: "no pilot-discovery-1.31", log: "l" },
        ];
        assert.strictEqual(routesFile(states), "10.96.4.7:443 127.0.0.1:41001 # istiod 1-30\n");
    });

    it("counts the istiods ready whatever order the supervisor started them in, and only when each is ready and routed", () => {
        const istiod = (revision: string, ready = true, routes = ["10.96.4.7:443"]): IstiodState => ({ revision, routes, ready, log: "l" });
        // 1-31 started first (its ConfigMap appeared first): the supervisor lists it first.
        assert.strictEqual(istiodsReady([istiod("1-31"), istiod("1-30")], ["1-30", "1-31"]), true);
        assert.strictEqual(istiodsReady([istiod("1-31"), istiod("1-30")], ["1-31", "1-30"]), true);
        assert.strictEqual(istiodsReady([istiod("1-31"), istiod("1-30", false)], ["1-30", "1-31"]), false, "one not ready");
        assert.strictEqual(istiodsReady([istiod("1-31"), istiod("1-30", true, [])], ["1-30", "1-31"]), false, "one not routed");
        assert.strictEqual(istiodsReady([istiod("1-31"), istiod("1-30")], ["1-31"]), false, "one more than wanted");
        assert.strictEqual(istiodsReady([istiod("1-31")], ["1-30", "1-31"]), false, "one missing");
    });
});
