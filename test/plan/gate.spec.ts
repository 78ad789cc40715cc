import * as assert from "assert";
import { parseMeshConfig } from "../../model/config";
import { Answer, planGates } from "../../model/gate";
import { gateLines, gateValues } from "../../plan/gate";
import { render } from "../../plan/render";
import { PlanReport } from "../../plan/report";

const gate = parseMeshConfig({ revisions: [{ version: "1.31.0" }], healthGate: { prometheus: { url: "http://127.0.0.1:9090" }, bake: "1m", window: "30s" } }).healthGate!;
const plan = planGates(gate, {
    revisionsAdded: [{ name: "1-31", version: "1.31.0" }], revisionsUpgradedInPlace: [], tagsMoved: [], gatewaysMoving: [],
    waves: [[{ namespace: "shop", revision: "1-31" }]], namespacesOfTag: {},
});

describe("plan/gate: the step's gates with each check's value now", () => {
    it("asks every check of every gate and says which would fail now, counters over the last bake", async () => {
        const asked: number[] = [];
        const query = async (q: string, at: number): Promise<Answer> => {
            asked.push(at);
            return { values: [q.includes("5..") ? 0.2 : q.includes("up{") ? 1 : 0] };
        };
        const values = await gateValues(plan, query, 1_000_000);
        assert.deepStrictEqual(values.points.map(p => [p.point, p.passesNow]), [["control plane 1-31 (1.31.0)", true], ["wave 1/1 (shop)", false]]);
        // A revision the step adds has no istiod yet: its checks are shown, not counted.
        const down = async (q: string, at: number): Promise<Answer> => (q.includes("up{") ? { values: [] } : query(q, at));
        assert.deepStrictEqual((await gateValues(plan, down, 1_000_000)).points[0].passesNow, false);
        const added = await gateValues(plan, down, 1_000_000, ["1-31"]);
        assert.deepStrictEqual(added.points.map(p => p.passesNow), [true, false]);
        assert.match(gateLines(added).join("\n"), /1-31: added by this step, not running yet/);
        assert.deepStrictEqual([...new Set(asked)].sort((a, b) => a - b), [940_000, 1_000_000], "now, and a bake ago");
        assert.strictEqual(values.at, new Date(1_000_000).toISOString());
        const text = gateLines(values).join("\n");
        assert.match(text, /after wave 1\/1 \(shop\): WOULD FAIL NOW\n(.*\n)*\s+FAIL errorRate, namespace shop: 0.2 \(20%\) \(<= 0.01 \(1%\)\)/);
        assert.doesNotMatch(text, /WARNING/);
        assert.match(gateLines({ ...values, onNoData: "skip" }).join("\n"), /WARNING: healthGate.onNoData is skip/);
        const report = { stack: "s", safe: true, reasons: [], phases: [], namespaces: [], workloadsCounted: true, skew: [], policies: [], counts: {}, errors: [], healthGate: values } as PlanReport;
        assert.match(render(report, "text"), /Health gate \(Prometheus http:\/\/127\.0\.0\.1:9090, bake 1m, window 30s/);
        assert.match(render(report, "markdown"), /\*\*would fail now\*\*/);
        const json = JSON.parse(render(report, "json"));
        assert.strictEqual(json.healthGate.points[1].checks.find((c: any) => c.name === "errorRate").value, 0.2);
    });
});
