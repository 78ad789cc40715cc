import * as assert from "assert";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { parseMeshConfig, RawConfig } from "../../model/config";
import { MeshState, meshFacts, planUpgrade } from "../../model/facts";
import { promotionGate } from "../../model/promotion";
import { compareVersions } from "../../istio";
import { buildFleetReport, fleetExitCode, FleetStackInput } from "../../plan/fleet";
import { renderFleet, renderFleetJson, renderFleetMarkdown, renderFleetText } from "../../plan/fleet-render";
import { buildReport } from "../../plan/report";

const NOW = new Date("2026-11-29T12:00:00Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();
const self = (stack: string) => ({ organization: "acme", project: "istio-mesh", stack });

/** A stack's input as plan/fleet-run.ts gathers it: its recorded state, its config's step and the gate. */
function stack(name: string, running: MeshState | undefined, raw: RawConfig, source?: MeshState, preview?: EngineEvent[]): FleetStackInput {
    const spec = parseMeshConfig(raw, running);
    const facts = meshFacts(spec, running);
    const upgrade = planUpgrade(running, facts);
    const gate = spec.promotion && promotionGate({ promotion: spec.promotion, self: self(name), source: { meshState: source }, spec, plan: upgrade, state: facts.state, now: NOW });
    return {
        stack: name, running, next: facts.state, upgrade,
        ...(gate ? { promotion: { from: `acme/istio-mesh/${spec.promotion!.from}`, soak: spec.promotion!.soak, verdicts: gate.verdicts,
            problems: gate.problems.filter(p => p.key.endsWith("promotion.from")).map(p => p.message) } } : {}),
        ...(preview ? { preview: buildReport(preview, { stack: name, previous: running }) } : {}),
    };
}

/** A recorded state of `revisions` (name -> version), `default` on the first, every version running since `since`. */
function recorded(revisions: Record<string, string>, since: Record<string, number>, namespaces: Record<string, string> = {}): MeshState {
    const first = Object.keys(revisions)[0];
    return {
        revisions: Object.fromEntries(Object.entries(revisions).map(([n, v]) => [n, { version: v }])),
        tags: { default: first }, gateways: {},
        namespaces: Object.fromEntries(Object.entries(namespaces).map(([ns, rev]) => [ns, { target: rev, revision: rev, version: revisions[rev] }])),
        versionsRun: Object.fromEntries(Object.entries(since).map(([v, h]) => [v, { since: hoursAgo(h) }])),
        crds: { version: Object.values(revisions).sort(compareVersions).pop()!, step: true },
    };
}

const staging = recorded({ "1-30": "1.30.2", "1-31": "1.31.1" }, { "1.30.2": 24 * 40, "1.31.1": 5 }, { shop: "1-31", cart: "1-30" });
const prod = recorded({ "1-30": "1.30.2" }, { "1.30.2": 24 * 20 }, { shop: "1-30", cart: "1-30" });
const legacy = recorded({ "1-28": "1.28.4" }, { "1.28.4": 24 * 200 }, { shop: "1-28" });

const fleet = () => [
    stack("staging", staging, { revisions: [{ version: "1.30.2" }, { version: "1.31.1" }], tags: { default: "1-31" }, namespaces: { shop: "1-31", cart: "default" } }),
    stack("prod", prod, { revisions: [{ version: "1.30.2" }, { version: "1.31.1" }], tags: { default: "1-30" }, namespaces: { shop: "1-30", cart: "1-30" },
        promotion: { from: "staging", soak: "24h" } }, staging),
    stack("legacy", legacy, { revisions: [{ version: "1.28.4" }], tags: { default: "1-28" }, namespaces: { shop: "1-28" } }),
];

describe("plan/fleet: the fleet report", () => {
    it("gives each stack's step: versions now and after, revisions with their tags and namespaces, pending moves", () => {
        const r = buildFleetReport(fleet(), NOW);
        const s = r.stacks.find(x => x.stack === "staging")!;
        assert.deepStrictEqual([s.deployed, s.running, s.next], [true, ["1.30.2", "1.31.1"], ["1.30.2", "1.31.1"]]);
        assert.deepStrictEqual(s.revisions, [
            { name: "1-30", version: "1.30.2", tags: [], namespaces: [] },
            { name: "1-31", version: "1.31.1", tags: ["default"], namespaces: ["cart", "shop"] },
        ]);
        assert.deepStrictEqual(s.pending, [
            "tag default: 1-30 -> 1-31",
            "namespace cart: 1-30 (1.30.2) -> default -> 1-31 (1.31.1)",
        ]);
        assert.strictEqual(s.refused, false);
        assert.deepStrictEqual(r.stacks.find(x => x.stack === "legacy")!.pending, []);
    });

    it("lists the versions in use now and after each step", () => {
        assert.deepStrictEqual(buildFleetReport(fleet(), NOW).versions, [
            { version: "1.28.4", running: ["legacy"], next: ["legacy"] },
            { version: "1.30.2", running: ["staging", "prod"], next: ["staging", "prod"] },
            { version: "1.31.1", running: ["staging"], next: ["staging", "prod"] },
        ]);
    });

    it("finds stacks more than one minor behind the newest, and end-of-life releases (from istio/support)", () => {
        const r = buildFleetReport(fleet(), NOW);
        assert.deepStrictEqual(r.lagging, [{ stack: "legacy", newest: "1.28.4", fleetNewest: "1.31.1", minorsBehind: 3, aheadStacks: ["staging", "prod"] }]);
        assert.deepStrictEqual(r.endOfLife, [{ stack: "legacy", version: "1.28.4", reason: "Istio 1.28 reached end of life on 2026-05-31; plan an upgrade to 1.30 or newer (the oldest supported release)" }]);
        assert.deepStrictEqual(buildFleetReport(fleet(), new Date("2026-05-01T00:00:00Z")).endOfLife, []);
    });

    it("says which promotions are blocked and until when, and refuses that stack's step", () => {
        const r = buildFleetReport(fleet(), NOW);
        assert.deepStrictEqual(r.blocked, [{
            stack: "prod", from: "acme/istio-mesh/staging", change: "revision 1-31", version: "1.31.1", ranForMs: 5 * 3_600_000,
            until: hoursAgo(5 - 24), reason: "soaking on acme/istio-mesh/staging (soak 24h)",
        }]);
        const p = r.stacks.find(x => x.stack === "prod")!;
        assert.strictEqual(p.refused, true);
        assert.deepStrictEqual(p.reasons, ["promotion gate: revision 1-31 (1.31.1) not yet soaked on acme/istio-mesh/staging"]);
        assert.strictEqual(r.safe, false);
        assert.strictEqual(fleetExitCode(r), 1);
    });

    it("lets the promotion through once soaked, and exits 0", () => {
        const soaked = { ...staging, versionsRun: { ...staging.versionsRun, "1.31.1": { since: hoursAgo(30) } } };
        const inputs = fleet();
        inputs[1] = stack("prod", prod, { revisions: [{ version: "1.30.2" }, { version: "1.31.1" }], tags: { default: "1-30" }, namespaces: { shop: "1-30", cart: "1-30" },
            promotion: { from: "staging", soak: "24h" } }, soaked);
        const r = buildFleetReport(inputs, NOW);
        assert.deepStrictEqual(r.blocked, []);
        assert.strictEqual(fleetExitCode(r), 0);
    });

    it("blocks every change when the source has no state, and a stack that cannot be planned exits 2", () => {
        const inputs = [stack("prod", prod, { revisions: [{ version: "1.30.2" }], promotion: { from: "staging", soak: "24h" } }, undefined),
            { stack: "broken", error: "invalid istio-mesh stack config (1 problem): ..." }];
        const r = buildFleetReport(inputs, NOW);
        assert.match(r.blocked[0].reason, /acme\/istio-mesh\/staging has recorded no mesh state/);
        assert.strictEqual(r.blocked[0].change, undefined);
        assert.deepStrictEqual(r.stacks[1].reasons, ["invalid istio-mesh stack config (1 problem): ..."]);
        assert.strictEqual(fleetExitCode(r), 2);
    });

    it("counts a mandatory policy in a preview as a refusal, and does not repeat the gate's failed preview", () => {
        const policy = { policyEvent: { policyName: "istio-control-plane-skew", enforcementLevel: "mandatory", message: "m", color: "never", policyPackName: "istio-mesh" } } as any;
        const gateError = { diagnosticEvent: { message: "istio-mesh promotion gate: 1 change of this step refused: ...", color: "never", severity: "error" } } as any;
        const inputs = fleet();
        inputs[0] = { ...inputs[0], preview: buildReport([policy], { stack: "staging" }) };
        inputs[1] = { ...inputs[1], preview: buildReport([gateError], { stack: "prod" }) };
        const r = buildFleetReport(inputs, NOW);
        assert.deepStrictEqual(r.stacks[0].reasons, ["1 mandatory policy violation(s): istio-control-plane-skew"]);
        assert.deepStrictEqual(r.stacks[1].reasons, ["promotion gate: revision 1-31 (1.31.1) not yet soaked on acme/istio-mesh/staging"]);
        assert.strictEqual(fleetExitCode(r), 1);
        inputs[2] = { ...inputs[2], preview: buildReport([], { stack: "legacy", previewError: "kubectl: connection refused" }) };
        assert.strictEqual(fleetExitCode(buildFleetReport(inputs, NOW)), 2, "a preview that failed for another reason cannot be judged");
    });

    it("renders text, markdown and json", () => {
        const r = buildFleetReport(fleet(), NOW);
        const text = renderFleetText(r);
        assert.match(text, /^Fleet plan, 3 stacks: SOME STEPS REFUSED \(at 2026-11-29T12:00:00Z\)/);
        assert.match(text, /Stack prod: REFUSED \(deployed; not previewed\)\n {2}! promotion gate: revision 1-31 \(1\.31\.1\) not yet soaked/);
        assert.match(text, / {2}revision 1-31 \(1\.31\.1\): tags default; namespaces cart, shop/);
        assert.match(text, / {2}1\.31\.1: staging -> staging, prod/);
        assert.match(text, / {2}legacy: newest 1\.28\.4, 3 minors behind 1\.31\.1 \(staging, prod\)/);
        assert.match(text, / {2}prod <- acme\/istio-mesh\/staging: revision 1-31 \(1\.31\.1\), run there 5h; allowed from 2026-11-30T07:00:00Z/);
        const md = renderFleetMarkdown(r);
        assert.match(md, /^### Istio fleet plan ❌ some steps refused/);
        assert.match(md, /\| `prod` \| REFUSED \(deployed; not previewed\)<br>promotion gate/);
        const json = JSON.parse(renderFleetJson(r));
        assert.strictEqual(json.formatVersion, 1);
        assert.deepStrictEqual(json.blocked, JSON.parse(JSON.stringify(r.blocked)));
        assert.strictEqual(renderFleet(r, "markdown"), md);
    });
});
