import * as assert from "assert";
import { accumulate, exposition, Traffic } from "../../demo/dataplane";
import { prometheusTargets } from "../../demo/istiods";

describe("demo/dataplane: the local cluster's data-plane fixture", () => {
    it("adds each rate's requests since the last scrape, by response code and duration bucket", () => {
        const totals = new Map();
        const shop: Traffic = { namespace: "shop", rps: 10, errorRatio: 0.25, latencyMs: 40 };
        accumulate(totals, [shop], 2);
        accumulate(totals, [{ ...shop, errorRatio: 0 }], 1);
        const text = exposition(totals.values());
        const value = (series: string) => Number(text.split("\n").find(l => l.startsWith(series + " "))?.split(" ")[1]);
        const sel = `reporter="destination",destination_workload="shop-app",destination_workload_namespace="shop"`;
        assert.strictEqual(value(`istio_requests_total{${sel},response_code="200"}`), 25);
        assert.strictEqual(value(`istio_requests_total{${sel},response_code="503"}`), 5);
        assert.strictEqual(value(`istio_request_duration_milliseconds_bucket{${sel},le="25"}`), 0);
        assert.strictEqual(value(`istio_request_duration_milliseconds_bucket{${sel},le="50"}`), 30);
        assert.strictEqual(value(`istio_request_duration_milliseconds_bucket{${sel},le="+Inf"}`), 30);
        assert.strictEqual(value(`istio_request_duration_milliseconds_sum{${sel}}`), 1200);
    });

    it("reports a gateway as the source of what it proxies", () => {
        const totals = new Map();
        accumulate(totals, [{ namespace: "istio-ingress", gateway: "istio-ingressgateway", rps: 1, errorRatio: 1, latencyMs: 5 }], 1);
        assert.match(exposition(totals.values()),
            /istio_requests_total\{reporter="source",source_workload="istio-ingressgateway",source_workload_namespace="istio-ingress",[^}]*response_code="503"\} 1/);
    });

    it("lists every started istiod for Prometheus, with the labels a pod scrape gives istiod", () => {
        const targets = JSON.parse(prometheusTargets([
            { revision: "1-31", monitoringPort: 4321, routes: [], ready: false, error: "exited", log: "" },
            { revision: "1-30", routes: [], ready: false, log: "" },
        ]));
        assert.deepStrictEqual(targets, [{ targets: ["127.0.0.1:4321"], labels: { app: "istiod", istio_io_rev: "1-31" } }],
            "an istiod that exited stays listed (Prometheus sees it down); one never started is not");
    });
});
