/**
 * The gate step: its Prometheus client against a loopback HTTP server speaking Prometheus' API, the gate's bake and
 * judgement with a fake clock, and the restart step stopped by the gate between waves (stub kubectl).
 */
import * as assert from "assert";
import * as http from "http";
import { AddressInfo } from "net";
import { Kubectl } from "../../components/kubectl";
import { Clock, passGate, Query, runChecks, WaveRecord, waveHooks } from "../../components/gateStep";
import { answerOf, prometheusHeaders, queryAt } from "../../components/prometheus";
import { runRollout, stepSettings } from "../../components/rolloutStep";
import { parseMeshConfig } from "../../model/config";
import { Answer, controlPlaneGate, GateRequest, waveGate } from "../../model/gate";
import { NamespaceTarget } from "../../model/rollout";
import { workload } from "../support/cluster";
import { StubCluster } from "../support/stubKubectl";

const gate = parseMeshConfig({
    revisions: [{ version: "1.31.0" }], healthGate: {
        prometheus: { url: "http://127.0.0.1:1" }, bake: "1m", window: "1m",
        checks: [{ name: "restarts", query: `max(max_over_time(restarts{rev="{revision}"}[{range}]))`, comparison: "<", threshold: 1 }],
    },
}).healthGate!;

/** A clock that only moves when the gate sleeps. */
function fakeClock(start = 1_000_000): Clock & { slept: number[] } {
    let now = start;
    const slept: number[] = [];
    return { slept, now: () => now, sleep: async ms => { slept.push(ms); now += ms; } };
}

/** Answers by query text; records each query with its time. */
function fakePrometheus(answer: (query: string, atMs: number) => Answer): Query & { asked: string[] } {
    const asked: string[] = [];
    return Object.assign(async (q: string, at: number) => { asked.push(`${at} ${q}`); return answer(q, at); }, { asked });
}

describe("the gate step's Prometheus client (a loopback server speaking its HTTP API)", () => {
    let server: http.Server;
    let url: string;
    let seen: http.IncomingHttpHeaders[] = [];
    let reply: { status: number; body: string } = { status: 200, body: "" };
    before(done => {
        server = http.createServer((req, res) => {
            seen.push({ ...req.headers, url: req.url });
            res.writeHead(reply.status, { "Content-Type": "application/json" }).end(reply.body);
        }).listen(0, "127.0.0.1", () => { url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`; done(); });
    });
    after(done => { server.close(() => done()); });
    beforeEach(() => { seen = []; });

    it("sends the query and time to /api/v1/query with the secret headers, and reads a vector's values", async () => {
        reply = { status: 200, body: JSON.stringify({ status: "success", data: { resultType: "vector", result: [
            { metric: {}, value: [1, "0.25"] }, { metric: {}, value: [1, "NaN"] }] } }) };
        const headers = prometheusHeaders({ PROMETHEUS_BEARER_TOKEN: "tok", PROMETHEUS_HEADERS: "{\"X-Scope-OrgID\":\"mesh\"}" });
        const answer = await queryAt({ url, headers }, `sum(up{a="b"})`, 1733300000.5);
        assert.deepStrictEqual(answer, { values: [0.25] }, "NaN is no value");
        const u = new URL(`http://x${seen[0].url}`);
        assert.deepStrictEqual([u.pathname, u.searchParams.get("query"), u.searchParams.get("time")], ["/api/v1/query", `sum(up{a="b"})`, "1733300000.500"]);
        assert.strictEqual(seen[0].authorization, "Bearer tok");
        assert.strictEqual(seen[0]["x-scope-orgid"], "mesh");
    });

    it("turns API errors, other answers and an unreachable Prometheus into errors, never a pass", async () => {
        reply = { status: 400, body: JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error at char 4" }) };
        assert.match((await queryAt({ url }, "sum(", 1) as any).error, /HTTP 400: bad_data: parse error/);
        reply = { status: 502, body: "<html>bad gateway</html>" };
        assert.match((await queryAt({ url }, "up", 1) as any).error, /not a Prometheus API answer/);
        assert.match((answerOf(200, JSON.stringify({ status: "success", data: { resultType: "matrix", result: [] } })) as any).error, /aggregate it/);
        assert.match((await queryAt({ url: "http://127.0.0.1:1" }, "up", 1) as any).error, /unreachable: connect ECONNREFUSED/);
        assert.match((await queryAt({ url: "https://127.0.0.1:1", caFile: "/nonexistent/ca.pem" }, "up", 1) as any).error, /caFile .* cannot be read/);
    });
});

describe("the gate step: bake, ask, judge", () => {
    const request: GateRequest = controlPlaneGate(gate, "1-31", "1.31.0");

    it("watches for the bake, then asks each check at its end and, for counters, at the change's start", async () => {
        const clock = fakeClock();
        const since = clock.now() - 5_000;
        const prom = fakePrometheus(q => ({ values: q.startsWith("min(up") ? [1] : q.startsWith("histogram") ? [0.2] : q.includes("restarts") ? [0] : [3] }));
        const lines: string[] = [];
        const failure = await passGate(request, request.checks, since, prom, clock, l => lines.push(l), "");
        assert.strictEqual(failure, undefined, lines.join("\n"));
        assert.deepStrictEqual(clock.slept, [60_000]);
        const end = since + 65_000;
        assert.ok(prom.asked.includes(`${end} max(max_over_time(restarts{rev="1-31"}[65s]))`), `{range} is from the change's start: ${prom.asked.join("\n")}`);
        assert.ok(prom.asked.includes(`${end} min(up{app="istiod",istio_io_rev="1-31"})`));
        assert.ok(prom.asked.includes(`${since} sum(sidecar_injection_failure_total{app="istiod",istio_io_rev="1-31"})`), "the counter before the change");
        assert.ok(lines.some(l => /ok injectionFailures, revision 1-31: 0 \(<= 0\), before 3/.test(l)), lines.join("\n"));
    });

    it("fails naming the check when a counter grows during the bake, and when Prometheus cannot answer", async () => {
        const clock = fakeClock();
        const since = clock.now();
        const growing = fakePrometheus((q, at) => ({ values: q.includes("sidecar_injection_failure_total") ? [at > since ? 12 : 2] : q.includes("up{") ? [1] : [0] }));
        const failure = await passGate(request, request.checks, since, growing, clock, () => undefined, "Nothing moved to 1-31.");
        assert.match(failure!, /injectionFailures \(healthGate.controlPlane.injectionFailures.max\), revision 1-31: grew by 10 \(2 -> 12\)/);
        assert.match(failure!, /Nothing moved to 1-31\./);
        const down = await passGate(request, request.checks, since, fakePrometheus(() => ({ error: "http://p unreachable: connect ECONNREFUSED" })),
            fakeClock(), () => undefined, "");
        assert.match(down!, /8 checks failed/);
        assert.match(down!, /Prometheus could not answer \(http:\/\/p unreachable/);
        const skipped: string[] = [];
        assert.strictEqual(await passGate({ ...request, onNoData: "skip" }, request.checks, since,
            fakePrometheus(() => ({ error: "unreachable" })), fakeClock(), l => skipped.push(l), ""), undefined);
        assert.ok(skipped.some(l => /WARNING: 8 check\(s\) SKIPPED/.test(l)), skipped.join("\n"));
    });

    it("runs every check's queries together", async () => {
        let inFlight = 0;
        let most = 0;
        const slow: Query = async () => { most = Math.max(most, ++inFlight); await new Promise(r => setTimeout(r, 5)); inFlight--; return { values: [0] }; };
        await runChecks(request.checks, slow, 0, 1000);
        assert.ok(most > 1, `at most ${most} in flight`);
    });
});

describe("the restart step stopped by the gate between waves (stub kubectl)", function () {
    this.timeout(60000);
    let stub: StubCluster;
    afterEach(() => stub?.dispose());
    const on = (revision: string, version: string) => ({ revision, version });
    const REQUEST = "shop 1-31 1-31@1.31.0 Deployment/web@1\ncart 1-31 1-31@1.31.0 Deployment/cart@1";

    /** The record of a stopped rollout, in memory (the step keeps it in a ConfigMap). */
    const memory = (pending: NamespaceTarget[] = []): WaveRecord & { targets: NamespaceTarget[] } => {
        const r = { targets: pending, pending: () => r.targets, write: (t: readonly NamespaceTarget[]) => { r.targets = [...t]; }, clear: () => { r.targets = []; } };
        return r;
    };
    async function restart(answer: (q: string) => Answer, record = memory()) {
        stub = new StubCluster({
            namespaces: { shop: "1-31", cart: "1-31" }, injectors: { "1-30": "1-30@1.30.2", "1-31": "1-31@1.31.0" },
            objects: [...workload("shop", "web", { pods: [on("1-30", "1.30.2")] }), ...workload("cart", "cart", { pods: [on("1-30", "1.30.2")] })],
        });
        const env = stub.env({ TIMEOUT: "90s" });
        const lines: string[] = [];
        const hooks = waveHooks(waveGate(gate), fakePrometheus(answer), fakeClock(Date.now()), l => lines.push(l), record);
        const patched = () => stub.commands.filter(c => / patch /.test(` ${c} `)).map(c => c.split(" ")[1]);
        try {
            await runRollout(stepSettings(env, REQUEST), new Kubectl(env), l => lines.push(l), async () => undefined, hooks);
            return { error: undefined, patched: patched(), lines };
        } catch (e) {
            return { error: (e as Error).message, patched: patched(), lines };
        }
    }
    const healthy = (q: string): Answer => ({ values: [q.includes("up{") ? 1 : 0] });

    it("passes every wave while healthy", async () => {
        const r = await restart(healthy);
        assert.strictEqual(r.error, undefined, r.lines.join("\n"));
        assert.deepStrictEqual(r.patched, ["shop", "cart"]);
        assert.ok(r.lines.some(l => l === "health gate after wave 1/2 (shop): passed"), r.lines.join("\n"));
    });

    it("stops after wave 1 on a 5xx spike in its namespace: wave 2 is not restarted and is named; the wave is recorded", async () => {
        const record = memory();
        const r = await restart(q => (q.includes(`destination_workload_namespace="shop",response_code=~"5.."`) ? { values: [0.4] } : healthy(q)), record);
        assert.deepStrictEqual(record.targets.map(t => `${t.namespace} ${t.label} ${t.revision}@${t.version}`), ["shop 1-31 1-31@1.31.0"]);
        assert.deepStrictEqual(r.patched, ["shop"], "cart (wave 2) untouched");
        assert.match(r.error!, /health gate after wave 1\/2 \(shop\): 1 check failed/);
        assert.match(r.error!, /errorRate \(healthGate.dataPlane.errorRate.max\), namespace shop: 0.4 \(40%\) is not <= 0.01/);
        assert.match(r.error!, /revert istio-mesh:namespaces.shop/);
        assert.match(r.error!, /The rollout stopped at wave 1\/2; not reached, left for the next 'pulumi up': cart/);
    });

    it("checks the recorded wave before anything restarts: stops there while it is unhealthy, clears the record once healthy", async () => {
        const web = { namespace: "web", label: "1-31", revision: "1-31", version: "1.31.0" };
        const unhealthy = (q: string) => (q.includes(`destination_workload_namespace="web"`) && q.includes("5..") ? { values: [0.3] } : healthy(q));
        const record = memory([web]);
        const r = await restart(unhealthy, record);
        assert.deepStrictEqual(r.patched, []);
        assert.match(r.error!, /the wave an earlier up stopped after \(web\), checked again before going on/);
        assert.match(r.error!, /Nothing was restarted\. The rollout stopped here: not reached, left for the next 'pulumi up': shop, cart/);
        assert.deepStrictEqual(record.targets, [web], "still recorded");
        stub.dispose();
        const again = await restart(healthy, record);
        assert.strictEqual(again.error, undefined, again.lines.join("\n"));
        assert.deepStrictEqual(again.patched, ["shop", "cart"]);
        assert.deepStrictEqual(record.targets, [], "cleared");
    });
});
