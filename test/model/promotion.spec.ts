import * as assert from "assert";
import { parseMeshConfig, RawConfig } from "../../model/config";
import { MeshState, meshFacts, planUpgrade } from "../../model/facts";
import {
    gateMessage, parsePromotion, promotionGate, qualifiedSource, recordVersionsRun, SourceOutputs,
} from "../../model/promotion";

const self = { organization: "acme", project: "istio-mesh", stack: "prod" };
const T0 = new Date("2026-11-20T10:00:00Z");
const at = (hours: number) => new Date(T0.getTime() + hours * 3_600_000);
const state = (revisions: Record<string, string>, cni?: string): MeshState => ({
    revisions: Object.fromEntries(Object.entries(revisions).map(([n, v]) => [n, { version: v }])),
    tags: {}, namespaces: {}, gateways: {}, ...(cni ? { cni: { version: cni } } : {}),
});

describe("model/promotion: the promotion key", () => {
    it("parses promotion in the stack config, each problem naming its key and the fix", () => {
        assert.strictEqual(parseMeshConfig({ revisions: [{ version: "1.30.2" }] }).promotion, undefined);
        assert.strictEqual(parseMeshConfig({ revisions: [{ version: "1.30.2" }], promotion: {} }).promotion, undefined,
            "Pulumi.yaml's default {} is no promotion");
        assert.deepStrictEqual(parseMeshConfig({ revisions: [{ version: "1.30.2" }], promotion: { from: "acme/istio-mesh/staging", soak: "7d" } }).promotion,
            { from: "acme/istio-mesh/staging", soak: "7d", soakMs: 7 * 86_400_000 });
        const { problems } = parsePromotion({ from: "a/b/c/d", soak: "soon" });
        assert.deepStrictEqual(problems.map(p => [p.key, p.value]), [["istio-mesh:promotion.from", "a/b/c/d"], ["istio-mesh:promotion.soak", "soon"]]);
        assert.match(problems[1].fix, /e\.g\. "24h"/);
        assert.throws(() => parseMeshConfig({ revisions: [{ version: "1.30.2" }], promotion: { from: "staging", soak: "1 day" } }),
            /istio-mesh:promotion\.soak = "1 day": is not a duration\. Fix: write how long/);
    });

    it("qualifies a short source name within this stack's organization and project", () => {
        assert.strictEqual(qualifiedSource("staging", self), "acme/istio-mesh/staging");
        assert.strictEqual(qualifiedSource("other/staging", self), "acme/other/staging");
        assert.strictEqual(qualifiedSource("x/y/z", self), "x/y/z");
    });
});

describe("model/promotion: recorded start times", () => {
    it("starts new versions now, keeps running ones, ends retired ones and restarts ones that come back", () => {
        const first = recordVersionsRun(undefined, state({ "1-29": "1.29.3" }, "1.29.3"), at(0));
        assert.deepStrictEqual(first, { "1.29.3": { since: at(0).toISOString() } });
        const canary = recordVersionsRun({ ...state({ "1-29": "1.29.3" }), versionsRun: first }, state({ "1-29": "1.29.3", "1-30": "1.30.2" }), at(5));
        assert.deepStrictEqual(canary, { "1.29.3": { since: at(0).toISOString() }, "1.30.2": { since: at(5).toISOString() } });
        const retired = recordVersionsRun({ ...state({}), versionsRun: canary }, state({ "1-30": "1.30.2" }), at(9));
        assert.deepStrictEqual(retired["1.29.3"], { since: at(0).toISOString(), until: at(9).toISOString() });
        const later = recordVersionsRun({ ...state({}), versionsRun: retired }, state({ "1-30": "1.30.2" }), at(20));
        assert.deepStrictEqual(later["1.29.3"], retired["1.29.3"], "an end is kept, not moved");
        const back = recordVersionsRun({ ...state({}), versionsRun: later }, state({ "1-29": "1.29.3", "1-30": "1.30.2" }), at(30));
        assert.deepStrictEqual(back["1.29.3"], { since: at(30).toISOString() });
    });

    it("starts the clock at the first run for a state an older program recorded (no start times)", () => {
        const out = recordVersionsRun(state({ "1-30": "1.30.2" }), state({ "1-30": "1.30.2" }), at(1));
        assert.deepStrictEqual(out, { "1.30.2": { since: at(1).toISOString() } });
    });
});

describe("model/promotion: the gate", () => {
    const prodBefore: MeshState = { ...state({ "1-30": "1.30.2" }, "1.30.2"), tags: { default: "1-30" } };
    const step = (raw: RawConfig) => {
        const spec = parseMeshConfig({ ...raw, promotion: { from: "staging", soak: "24h" } }, prodBefore);
        const facts = meshFacts(spec, prodBefore);
        return { spec, plan: planUpgrade(prodBefore, facts), state: facts.state, promotion: spec.promotion! };
    };
    const source = (runs: Record<string, { since: Date; until?: Date }>): SourceOutputs => ({
        meshState: {
            ...state({ "1-31": "1.31.1" }),
            versionsRun: Object.fromEntries(Object.entries(runs).map(([v, r]) => [v, { since: r.since.toISOString(), ...(r.until ? { until: r.until.toISOString() } : {}) }])),
        },
    });
    const addCanary = step({ revisions: [{ version: "1.30.2" }, { version: "1.31.1" }], tags: { default: "1-30" }, cni: { enabled: true, version: "1.30.2" } });

    it("allows a version the source has run for the soak, exactly at its end too", () => {
        const gate = promotionGate({ ...addCanary, self, source: source({ "1.31.1": { since: at(0) } }), now: at(24) });
        assert.deepStrictEqual(gate.problems, []);
        assert.deepStrictEqual(gate.verdicts.map(v => [v.change, v.allowed, v.ranForMs]), [["revision 1-31", true, 24 * 3_600_000]]);
    });

    it("refuses it a minute before, saying when it will be allowed", () => {
        const gate = promotionGate({ ...addCanary, self, source: source({ "1.31.1": { since: at(0) } }), now: new Date(at(24).getTime() - 60_000) });
        assert.strictEqual(gate.verdicts[0].allowedFrom, at(24).toISOString());
        assert.deepStrictEqual(gate.problems.map(p => p.key), ["istio-mesh:revisions[1].version"]);
        assert.match(gateMessage(gate), /^istio-mesh promotion gate: 1 change of this step refused:\n  - istio-mesh:revisions\[1\]\.version = "1\.31\.1": revision 1-31 would run Istio 1\.31\.1, which acme\/istio-mesh\/staging has run for 23h 59m \(since 2026-11-20T10:00:00Z\) of the 24h soak\. Fix: wait until 2026-11-21T10:00:00Z/);
    });

    it("counts a run the source has ended, and cannot allow by waiting one that ended too early", () => {
        const soaked = promotionGate({ ...addCanary, self, source: source({ "1.31.1": { since: at(0), until: at(48) } }), now: at(100) });
        assert.deepStrictEqual(soaked.problems, []);
        const short = promotionGate({ ...addCanary, self, source: source({ "1.31.1": { since: at(0), until: at(2) } }), now: at(100) });
        assert.strictEqual(short.verdicts[0].allowedFrom, undefined);
        assert.match(short.problems[0].message, /ran for only 2h \(2026-11-20T10:00:00Z to 2026-11-20T12:00:00Z\) of the 24h soak before it stopped/);
    });

    it("judges in-place upgrades, CNI and tag moves, and leaves what does not change alone", () => {
        const s = step({ revisions: [{ name: "1-30", version: "1.30.3" }], tags: { default: "1-30", canary: "1-30" }, cni: { enabled: true, version: "1.30.3" } });
        const gate = promotionGate({ ...s, self, source: source({}), now: at(0) });
        assert.deepStrictEqual(gate.verdicts.map(v => [v.change, v.key, v.version, v.allowed]), [
            ["revision 1-30 (in place from 1.30.2)", "revisions[0].version", "1.30.3", false],
            ["istio-cni", "cni.version", "1.30.3", false],
            ["tag canary -> 1-30", "tags.canary", "1.30.3", false],
        ]);
        assert.match(gate.problems[0].message, /which acme\/istio-mesh\/staging has never run/);
        const same = step({ revisions: [{ version: "1.30.2" }], tags: { default: "1-30" }, cni: { enabled: true, version: "1.30.2" } });
        assert.deepStrictEqual(promotionGate({ ...same, self, source: source({}), now: at(0) }).verdicts, []);
    });

    it("refuses the stack itself, a cycle, a source with no state and one without start times, judging nothing", () => {
        const cases: [SourceOutputs, string, RegExp][] = [
            [source({}), "prod", /names this stack itself/],
            [{ ...source({}), promotion: { from: "acme/istio-mesh/prod", soak: "1h" } }, "staging", /acme\/istio-mesh\/staging is itself promoted from this stack \(acme\/istio-mesh\/prod\): a cycle/],
            [{}, "staging", /has recorded no mesh state/],
            [{ meshState: state({ "1-31": "1.31.1" }) }, "staging", /last deployed by an older version of this program, which recorded no start time/],
        ];
        for (const [src, from, expected] of cases) {
            const gate = promotionGate({ ...addCanary, promotion: { ...addCanary.promotion, from }, self, source: src, now: at(0) });
            assert.deepStrictEqual(gate.verdicts, []);
            assert.strictEqual(gate.problems.length, 1);
            assert.strictEqual(gate.problems[0].key, "istio-mesh:promotion.from");
            assert.match(gate.problems[0].message, expected);
            assert.match(gateMessage(gate), /^invalid istio-mesh stack config/);
        }
    });
});
