import * as assert from "assert";
import { MeshConfigError, parseMeshConfig, RawConfig, rawConfigFromPulumi } from "../../model/config";
import {
    BUILTIN_NAMES, checkTemplates, controlPlaneGate, failureMessage, fillPlaceholders, formatGateRequest, gateOutcome, gateSummary,
    gatewayGate, GATE_SECRET, HealthGateSpec, judge, parseGateRequest, placeholdersOf, planGates, promDuration, resolveChecks,
    tagGate, waveChecks, waveGate,
} from "../../model/gate";
import { Check } from "../../model/gate/checks";

const base: RawConfig = { revisions: [{ version: "1.30.2" }, { version: "1.31.0" }], namespaces: { shop: "1-31" } };
const withGate = (healthGate: Record<string, unknown>, extra: RawConfig = {}) => parseMeshConfig({ ...base, healthGate, ...extra });

function problems(raw: RawConfig): { key: string; message: string; fix: string; value: unknown }[] {
    try {
        parseMeshConfig(raw);
    } catch (e) {
        assert.ok(e instanceof MeshConfigError, String(e));
        return e.problems as any;
    }
    return assert.fail("config was accepted");
}

const gate = (over: Record<string, unknown> = {}): HealthGateSpec => withGate({ prometheus: { url: "http://127.0.0.1:9090/" }, ...over }).healthGate!;

describe("model/gate: the health gate's config", () => {
    it("is off unless set; set, every built-in check is on with its default threshold", () => {
        assert.strictEqual(parseMeshConfig(base).healthGate, undefined);
        const g = gate();
        assert.strictEqual(g.url, "http://127.0.0.1:9090", "trailing slash dropped: the step appends /api/v1/query");
        assert.deepStrictEqual([g.bake, g.bakeMs, g.window, g.onNoData], ["2m", 120000, "1m", "fail"]);
        assert.deepStrictEqual(BUILTIN_NAMES.filter(n => !g.builtins[n].enabled), []);
        assert.strictEqual(g.builtins.errorRate.max, 0.01);
        assert.strictEqual(g.builtins.latencyP99.factor, 1.5);
        assert.strictEqual(g.builtins.latencyP99.max, undefined, "latency is judged against before only, unless a max is set");
    });

    it("takes thresholds and off-switches per check, and user checks", () => {
        const g = gate({
            bake: "30s", window: "30s", onNoData: "skip",
            controlPlane: { xdsRejects: { max: 3 }, convergenceP99: { enabled: false } },
            dataPlane: { errorRate: { max: 0.05, margin: 0 } },
            checks: [{ name: "slo", query: `sum(rate(x{ns="{namespace}"}[{window}]))`, comparison: ">", threshold: 1 }],
        });
        assert.deepStrictEqual(g.builtins.xdsRejects, { enabled: true, max: 3 });
        assert.strictEqual(g.builtins.convergenceP99.enabled, false);
        assert.deepStrictEqual(g.builtins.errorRate, { enabled: true, max: 0.05, margin: 0 });
        const names = checkTemplates(g).map(t => t.name);
        assert.ok(!names.includes("convergenceP99") && names.includes("slo"), names.join(","));
        assert.strictEqual(g.onNoData, "skip");
    });

    it("refuses what would make the gate wrong, naming the key, the value and the fix", () => {
        const cases: [Record<string, unknown>, string, RegExp][] = [
            [{ prometheus: {} }, "istio-mesh:healthGate.prometheus.url", /is required/],
            [{ prometheus: { url: "prometheus:9090" } }, "istio-mesh:healthGate.prometheus.url", /not an http/],
            [{ prometheus: { url: "https://u:p@prom.example" } }, "istio-mesh:healthGate.prometheus.url", /holds credentials/],
            [{ prometheus: { url: "http://p" }, bake: "soon" }, "istio-mesh:healthGate.bake", /not a duration/],
            [{ prometheus: { url: "http://p" }, bake: "30s", window: "5m" }, "istio-mesh:healthGate.window", /longer than healthGate.bake/],
            [{ prometheus: { url: "http://p" }, onNoData: "ignore" }, "istio-mesh:healthGate.onNoData", /not one of fail, skip/],
            [{ prometheus: { url: "http://p" }, istiodSelector: `app="istiod"` }, "istio-mesh:healthGate.istiodSelector", /no \{revision\}/],
            [{ prometheus: { url: "http://p" }, controlPlane: { xdsRejects: { max: -1 } } }, "istio-mesh:healthGate.controlPlane.xdsRejects.max", /negative/],
            [{ prometheus: { url: "http://p" }, dataPlane: { latencyP99: { factor: 0.5 } } }, "istio-mesh:healthGate.dataPlane.latencyP99.factor", /under 1/],
            [{ prometheus: { url: "http://p" }, dataPlane: { errorRate: { max: "1%" } } }, "istio-mesh:healthGate.dataPlane.errorRate.max", /must be a number/],
            [{ prometheus: { url: "http://p" }, controlPlane: { xdsReject: {} } }, "istio-mesh:healthGate.controlPlane.xdsReject", /did you mean healthGate.controlPlane.xdsRejects/],
            [{ prometheus: { url: "http://p" }, checks: [{ name: "a", query: "x{pod=\"{pod}\"}", comparison: "<", threshold: 1 }] },
                "istio-mesh:healthGate.checks[0].query", /\{pod\}, which the gate does not fill/],
            [{ prometheus: { url: "http://p" }, checks: [{ name: "a", query: "sum(pilot_xds_push_errors)", comparison: "<", threshold: 1 }] },
                "istio-mesh:healthGate.checks[0].query", /only old Istio code/],
            [{ prometheus: { url: "http://p" }, checks: [{ name: "xdsRejects", query: "up", comparison: "<", threshold: 1 }] },
                "istio-mesh:healthGate.checks[0].name", /already the name/],
            [{ prometheus: { url: "http://p" }, checks: [{ name: "a", query: "up", comparison: "=", threshold: 1 }] },
                "istio-mesh:healthGate.checks[0].comparison", /not one of <, <=, >, >=/],
        ];
        for (const [healthGate, key, message] of cases) {
            const found = problems({ ...base, healthGate }).find(p => p.key === key);
            assert.ok(found, `${JSON.stringify(healthGate)}: no problem at ${key}: ${JSON.stringify(problems({ ...base, healthGate }))}`);
            assert.match(`${found.message}. Fix: ${found.fix}`, message);
            assert.ok(found.fix.length > 10, `a fix is given for ${key}`);
        }
    });

    it("takes the bearer token and headers only as secrets, and never carries their values", () => {
        const all = {
            "istio-mesh:revisions": JSON.stringify(base.revisions), "istio-mesh:healthGate": JSON.stringify({ prometheus: { url: "http://p" } }),
            "istio-mesh:healthGateBearerToken": "s3cr3t-token", "istio-mesh:healthGateHeaders": "{\"X-Scope-OrgID\": \"mesh\"}",
        };
        const secret = rawConfigFromPulumi(all, () => true);
        assert.ok(!JSON.stringify(secret.raw).includes("s3cr3t") && !JSON.stringify(secret.raw).includes("X-Scope"), "no value enters RawConfig");
        assert.strictEqual(parseMeshConfig(secret.raw).healthGate?.url, "http://p");
        const plain = rawConfigFromPulumi(all, key => key !== "istio-mesh:healthGateBearerToken");
        const p = problems(plain.raw).find(x => x.key === "istio-mesh:healthGateBearerToken")!;
        assert.match(p.message, /plain text/);
        assert.ok(!JSON.stringify(p).includes("s3cr3t"), "the problem does not show the value");
        const notMap = rawConfigFromPulumi({ ...all, "istio-mesh:healthGateHeaders": "[\"Bearer x\"]" }, () => true);
        assert.strictEqual(notMap.raw.healthGateHeaders, GATE_SECRET.notHeaders);
        assert.match(problems(notMap.raw)[0].message, /not a JSON map/);
        const alone = rawConfigFromPulumi({ "istio-mesh:revisions": all["istio-mesh:revisions"], "istio-mesh:healthGateBearerToken": "t" }, () => true);
        assert.match(problems(alone.raw)[0].fix, /healthGate.prometheus.url/);
    });
});

describe("model/gate: placeholders and PromQL", () => {
    it("lists and fills placeholders, escaping label values and leaving later ones", () => {
        assert.deepStrictEqual(placeholdersOf(`x{a="{namespace}",b="{namespace}"}[{window}] {range}`), ["namespace", "window", "range"]);
        assert.strictEqual(fillPlaceholders(`up{ns="{namespace}"}[{window}] {range}`, { namespace: `we"ird\\`, window: "1m" }),
            `up{ns="we\\"ird\\\\"}[1m] {range}`);
        assert.strictEqual(promDuration(90_400), "91s");
        assert.strictEqual(promDuration(10), "1s");
    });

    it("resolves each built-in check per revision, namespace and gateway, with Istio's metric names and selectors", () => {
        const g = gate({ window: "1m" });
        const checks = resolveChecks(checkTemplates(g), {
            revisions: ["1-31"], namespaces: [{ namespace: "shop", revision: "1-31" }],
            gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "1-31" }],
        }, g.window);
        const q = (name: string, where: string) => checks.find(c => c.name === name && c.where === where)?.query;
        assert.strictEqual(q("xdsRejects", "revision 1-31"), `sum(pilot_total_xds_rejects{app="istiod",istio_io_rev="1-31"})`);
        assert.strictEqual(q("xdsSendErrors", "revision 1-31"), `sum(pilot_xds_pushes{app="istiod",istio_io_rev="1-31",type=~".*_senderr"})`);
        assert.strictEqual(q("injectionFailures", "revision 1-31"), `sum(sidecar_injection_failure_total{app="istiod",istio_io_rev="1-31"})`);
        assert.strictEqual(q("istiodUp", "revision 1-31"), `min(up{app="istiod",istio_io_rev="1-31"})`);
        assert.strictEqual(q("errorRate", "namespace shop"),
            `(sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop",response_code=~"5.."}[1m])) or on() vector(0)) / ` +
            `sum(rate(istio_requests_total{reporter="destination",destination_workload_namespace="shop"}[1m]))`);
        assert.strictEqual(q("latencyP99", "gateway istio-ingress/ingress"),
            `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="source",source_workload="ingress",source_workload_namespace="istio-ingress"}[1m])))`);
        assert.strictEqual(checks.filter(c => c.where === "revision 1-31").length, 7, "seven control-plane checks per revision");
        assert.strictEqual(checks.filter(c => c.where === "namespace shop").length, 2);
    });

    it("scopes user checks by their placeholders: {namespace} per namespace, {revision} per revision, else once", () => {
        const g = gate({
            istiodSelector: `job="istiod-{revision}"`, checks: [
                { name: "ns", query: `a{n="{namespace}",r="{revision}"}`, comparison: "<", threshold: 1 },
                { name: "rev", query: `b{r="{revision}"}`, comparison: "<", threshold: 1 },
                { name: "mesh", query: "c", comparison: "<", threshold: 1 },
            ],
        });
        const checks = resolveChecks(checkTemplates(g), { revisions: ["1-30", "1-31"], namespaces: [{ namespace: "shop", revision: "1-31" }], gateways: [] }, g.window);
        const of = (name: string) => checks.filter(c => c.name === name).map(c => `${c.where}: ${c.query}`);
        assert.deepStrictEqual(of("ns"), [`namespace shop: a{n="shop",r="1-31"}`]);
        assert.deepStrictEqual(of("rev"), [`revision 1-30: b{r="1-30"}`, `revision 1-31: b{r="1-31"}`]);
        assert.deepStrictEqual(of("mesh"), ["mesh: c"]);
        assert.strictEqual(checks.find(c => c.name === "xdsRejects")!.query, `sum(pilot_total_xds_rejects{job="istiod-1-30"})`, "the istiod selector is the config's");
    });
});

const check = (over: Partial<Check> = {}): Check => ({
    name: "errorRate", configKey: "healthGate.dataPlane.errorRate.max", where: "namespace shop", query: "q", measure: "level",
    comparison: "<=", threshold: 0.01, baseline: { margin: 0.005 }, unit: "ratio", description: "", ...over,
});
const values = (...v: number[]) => ({ values: v });

describe("model/gate: judging a check", () => {
    it("compares a level with its threshold and with before the change (margin or factor)", () => {
        assert.strictEqual(judge(check(), "q", values(0.004), values(0.002)).verdict, "pass");
        const over = judge(check(), "q", values(0.2), values(0.0));
        assert.strictEqual(over.verdict, "fail");
        assert.match(over.reason!, /0\.2 \(20%\) is not <= 0\.01 \(1%\)/);
        assert.match(over.reason!, /worse than before the change \(0 \(0%\)\) \+0\.005/);
        // Under the threshold, but worse than before by more than the margin.
        const worse = judge(check({ threshold: 0.5 }), "q", values(0.3), values(0.1));
        assert.strictEqual(worse.verdict, "fail");
        assert.strictEqual(worse.baselineLimit, 0.1 + 0.005);
        const latency = check({ name: "latencyP99", threshold: undefined, baseline: { factor: 1.5 }, unit: "ms" });
        assert.strictEqual(judge(latency, "q", values(140), values(100)).verdict, "pass");
        assert.strictEqual(judge(latency, "q", values(160), values(100)).verdict, "fail");
        const noBaseline = judge(latency, "q", values(160), { values: [] });
        assert.strictEqual(noBaseline.verdict, "pass");
        assert.match(noBaseline.reason!, /no baseline/);
    });

    it("takes the worst series, and reads NaN and an empty answer as no data", () => {
        assert.strictEqual(judge(check({ baseline: undefined }), "q", values(0.001, 0.5, NaN)).value, 0.5);
        assert.strictEqual(judge(check({ comparison: ">=", threshold: 1, baseline: undefined }), "q", values(1, 0, 1)).verdict, "fail");
        assert.strictEqual(judge(check(), "q", values(NaN)).verdict, "no-data");
        assert.strictEqual(judge(check(), "q", { error: "connect ECONNREFUSED 127.0.0.1:9" }).verdict, "error");
    });

    it("measures a counter's growth since before the change: absent is 0, a reset counts from 0", () => {
        const counter = check({ name: "injectionFailures", measure: "delta", threshold: 0, baseline: undefined, unit: "" });
        assert.strictEqual(judge(counter, "q", { values: [] }, { values: [] }).verdict, "pass", "never incremented: no series, no growth");
        const grew = judge(counter, "q", values(7), values(4));
        assert.deepStrictEqual([grew.verdict, grew.value, grew.before], ["fail", 3, 4]);
        assert.match(grew.reason!, /grew by 3 \(4 -> 7\)/);
        assert.strictEqual(judge(counter, "q", values(5), { values: [] }).value, 5, "appeared after the change");
        assert.strictEqual(judge(counter, "q", values(2), values(9)).value, 2, "istiod restarted: its counter restarted from 0");
        assert.strictEqual(judge({ ...counter, threshold: 3 }, "q", values(7), values(4)).verdict, "pass", "the max is inclusive");
    });

    it("fails closed on no data and errors unless onNoData is skip, which lists them", () => {
        const results = [judge(check(), "q", values(0)), judge(check({ where: "namespace cart" }), "q", { values: [] })];
        const closed = gateOutcome(results, "fail");
        assert.deepStrictEqual([closed.passed, closed.failed.map(r => r.where)], [false, ["namespace cart"]]);
        const open = gateOutcome(results, "skip");
        assert.deepStrictEqual([open.passed, open.skipped.map(r => r.where)], [true, ["namespace cart"]]);
        assert.strictEqual(gateOutcome([judge(check(), "q", values(1))], "skip").passed, false, "skip never lets a failed check through");
    });

    it("names the check, query, value, threshold, place and what to do when it fails", () => {
        const r = judge(check(), "sum(rate(istio_requests_total[1m]))", values(0.42), values(0.001));
        const text = failureMessage("wave 1/2 (shop)", gateOutcome([r], "fail"), "http://127.0.0.1:9090",
            "Nothing further was touched.", "istio-mesh:namespaces.shop");
        for (const part of ["wave 1/2 (shop)", "errorRate (healthGate.dataPlane.errorRate.max), namespace shop", "value 0.42 (42%)",
            "threshold <= 0.01 (1%)", "before the change 0.001", "query: sum(rate(istio_requests_total[1m]))",
            "Nothing further was touched.", "revert istio-mesh:namespaces.shop", "run 'pulumi up' again"]) {
            assert.ok(text.includes(part), `missing "${part}" in:\n${text}`);
        }
        const down = failureMessage("control plane 1-31", gateOutcome([judge(check(), "q", { error: "ECONNREFUSED" })], "fail"), "http://p", "", "x");
        assert.match(down, /Prometheus could not answer \(ECONNREFUSED\)/);
        assert.match(down, /onNoData: skip/);
    });
});

describe("model/gate: where a step is gated", () => {
    const g = gate({ bake: "1m" });

    it("gates each new or upgraded control plane, moved tag and gateway, and each restart wave, in up's order", () => {
        const plan = planGates(g, {
            revisionsAdded: [{ name: "1-31", version: "1.31.0" }], revisionsUpgradedInPlace: [{ name: "stable", to: "1.30.3" }],
            tagsMoved: [{ tag: "canary", to: "1-31" }, { tag: "old" }],
            gatewaysMoving: [{ name: "istio-ingress/ingress", to: { revision: "1-31", version: "1.31.0" } }],
            waves: [[{ namespace: "cart", revision: "1-31" }], [{ namespace: "shop", revision: "1-31" }, { namespace: "web", revision: "1-31" }]],
            namespacesOfTag: { canary: ["cart"] },
        });
        assert.deepStrictEqual(plan.points.map(p => p.point), [
            "control plane 1-31 (1.31.0)", "control plane stable (1.30.3)", "tag canary -> 1-31",
            "gateway istio-ingress/ingress -> 1-31 (1.31.0)", "wave 1/2 (cart)", "wave 2/2 (shop, web)",
        ]);
        const wave2 = plan.points[5].checks;
        assert.deepStrictEqual([...new Set(wave2.map(c => c.where))], ["revision 1-31", "namespace shop", "namespace web"]);
        assert.deepStrictEqual([...new Set(plan.points[2].checks.map(c => c.where))], ["revision 1-31", "namespace cart"]);
        assert.deepStrictEqual([...new Set(plan.points[3].checks.map(c => c.where))], ["revision 1-31", "gateway istio-ingress/ingress"]);
        const summary = gateSummary(plan);
        assert.match(summary[0], /Prometheus http:\/\/127\.0\.0\.1:9090, bake 1m/);
        assert.strictEqual(summary.length, 7);
        assert.match(gateSummary({ ...plan, onNoData: "skip" })[0], /WARNING: onNoData is skip/);
        assert.deepStrictEqual(gateSummary({ ...plan, points: [] }), []);
    });

    it("hands each step its request as JSON with one check per line, read back as written", () => {
        for (const req of [controlPlaneGate(g, "1-31", "1.31.0"), tagGate(g, "canary", "1-31", ["shop"]), gatewayGate(g, "gw/ingress", "1-31", "1.31.0")]) {
            const text = formatGateRequest(req);
            assert.deepStrictEqual(parseGateRequest(text), JSON.parse(JSON.stringify(req)));
            assert.strictEqual(text.split("\n").filter(l => l.includes("\"query\"")).length, req.checks.length, text);
        }
        const wave = waveGate(g);
        assert.deepStrictEqual(parseGateRequest(formatGateRequest(wave)), JSON.parse(JSON.stringify(wave)));
        assert.deepStrictEqual(waveChecks(wave, [{ namespace: "cart", revision: "1-31" }]).map(c => c.where).filter((w, i, a) => a.indexOf(w) === i),
            ["revision 1-31", "namespace cart"]);
        assert.throws(() => parseGateRequest("{}"), /malformed health gate request/);
    });
});
