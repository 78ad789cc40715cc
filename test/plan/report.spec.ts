import * as assert from "assert";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { TYPE } from "../../components/types";
import { parseMeshConfig, RawConfig } from "../../model/config";
import { MeshState, meshFacts, planUpgrade } from "../../model/facts";
import { RolloutReport } from "../../model/rollout";
import { buildReport, PlanReport } from "../../plan/report";
import { exitCode, render, renderJson, renderMarkdown, renderText } from "../../plan/render";

const PREFIX = "urn:pulumi:staging::istio-mesh::";
const MESH = TYPE.mesh;

/** An engine event stream like `pulumi preview` emits (the shape of Automation API events). */
class Stream {
    private seq = 0;
    readonly events: EngineEvent[] = [];
    private push(e: Partial<EngineEvent>) {
        this.events.push({ sequence: this.seq++, timestamp: 0, ...e } as EngineEvent);
    }
    step(op: OpType, chain: string[], name: string, diffs?: string[]): this {
        const type = chain[chain.length - 1];
        const urn = `${PREFIX}${chain.join("$")}::${name}`;
        this.push({ resourcePreEvent: { metadata: { op, urn, type, provider: "", ...(diffs ? { diffs } : {}) } } } as any);
        return this;
    }
    /** The program's outputs as the engine reports them: the plan on the mesh component, the rest on the stack. */
    outputs({ upgradePlan, ...outputs }: Record<string, unknown>): this {
        const urn = `${PREFIX}pulumi:pulumi:Stack::istio-mesh-staging`;
        if (upgradePlan) {
            this.push({ resOutputsEvent: { metadata: { op: "same", urn: `${PREFIX}${MESH}::mesh`, type: MESH, provider: "", new: { outputs: { upgradePlan } } } } } as any);
        }
        this.push({ resOutputsEvent: { metadata: { op: "same", urn, type: "pulumi:pulumi:Stack", provider: "", new: { outputs } } } } as any);
        return this;
    }
    policy(policyName: string, level: "mandatory" | "warning", message: string, resource?: string): this {
        this.push({ policyEvent: { policyName, enforcementLevel: level, message, color: "never", policyPackName: "istio-mesh", policyPackVersion: "0.1.0", policyPackVersionTag: "0.1.0", ...(resource ? { resourceUrn: `${PREFIX}x::${resource}` } : {}) } } as any);
        return this;
    }
    error(message: string): this {
        this.push({ diagnosticEvent: { message, color: "never", severity: "error" } } as any);
        return this;
    }
    summary(changes: Record<string, number>): this {
        this.push({ summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: changes, policyPacks: {} } } as any);
        return this;
    }
}

/** Facts and plan of a config; `restarting` lists, per namespace, the workloads the cluster observation restarts. */
function state(raw: RawConfig, previous?: MeshState, restarting?: Record<string, string[]>) {
    const facts = meshFacts(parseMeshConfig(raw, previous), previous);
    const rollout: RolloutReport | undefined = restarting && {
        restarts: "auto", observed: true, waves: Object.keys(restarting).map(n => [n]),
        namespaces: Object.entries(restarting).map(([namespace, ws]) => ({
            namespace, label: facts.namespaces[namespace].target, revision: facts.namespaces[namespace].revision, version: facts.namespaces[namespace].version,
            restart: ws.map(workload => ({ workload, reason: "pods run 1-29 (1.29.3)" })), rolling: [], skipped: [], manual: [], unprotected: [],
        })),
    };
    return { facts, plan: planUpgrade(previous, facts, rollout) };
}

const installed = state({ revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" },
    namespaces: { shop: "default", cart: "default" }, gateways: [{ name: "ingress", revision: "default" }] }).facts.state;
const moveShop = { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" },
    namespaces: { shop: "1-30", cart: "default" }, gateways: [{ name: "ingress", revision: "default" }] };
const moved = state(moveShop, installed, { shop: ["Deployment/web", "Deployment/api", "StatefulSet/db"] });

/** The preview of "move namespace shop to 1-30". */
function moveShopStream(): Stream {
    return new Stream()
        .step("same", [MESH, TYPE.revision, "kubernetes:helm.sh/v4:Chart"], "istiod-1-29")
        .step("update", [MESH, "kubernetes:core/v1:NamespacePatch"], "namespace-shop", ["metadata"])
        .step("update", [MESH, "command:local:Command"], "workload-restarts", ["stdin"])
        .outputs({ upgradePlan: moved.plan, meshState: moved.facts.state })
        .summary({ same: 40, update: 2 });
}

describe("plan report: events -> an upgrade step", () => {
    it("groups object changes by phase, in the order up carries them out", () => {
        const s = new Stream()
            .step("delete", [MESH, TYPE.revision, "kubernetes:helm.sh/v4:Chart"], "istiod-1-28")
            .step("update", [MESH, "kubernetes:core/v1:NamespacePatch"], "namespace-shop")
            // The former per-namespace component, deleted once after the patches moved under the mesh: components
            // only group objects, so its deletion is no change of the step.
            .step("delete", [MESH, TYPE.namespaceBinding], "namespace-cart")
            .step("create", [MESH, TYPE.revision, "kubernetes:helm.sh/v4:Chart"], "istiod-1-30")
            .step("update", [MESH, TYPE.base, "kubernetes:helm.sh/v4:Chart"], "base")
            .step("update", [MESH, TYPE.tags, "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration"], "tag-default")
            .step("update", [MESH, TYPE.cni, "kubernetes:helm.sh/v4:Chart"], "istio-cni")
            .step("update", [MESH, TYPE.gateway, "kubernetes:helm.sh/v4:Chart"], "gateway-istio-ingress/ingress")
            .step("update", [MESH, "command:local:Command"], "workload-restarts")
            .step("create", [MESH, TYPE.revision], "istiod-1-30")
            .step("same", [MESH, "kubernetes:core/v1:Namespace"], "istio-namespace");
        const r = buildReport(s.events, { stack: "staging" });
        assert.deepStrictEqual(r.phases.map(p => [p.phase, p.changes.map(c => `${c.op} ${c.name}`)]), [
            ["CRDs", ["update base"]],
            ["control planes", ["create istiod-1-30"]],
            ["CNI", ["update istio-cni"]],
            ["tags", ["update tag-default"]],
            ["gateways", ["update gateway-istio-ingress/ingress"]],
            ["namespaces", ["update namespace-shop", "update workload-restarts"]],
            ["retirements", ["delete istiod-1-28"]],
        ]);
    });

    it("lists namespace moves with the restarts the program decided from the cluster", () => {
        const r = buildReport(moveShopStream().events, { stack: "staging", previous: installed });
        assert.deepStrictEqual(r.namespaces, [{ namespace: "shop", from: installed.namespaces.shop, to: moved.facts.state.namespaces.shop, restart: true, workloads: 3 }]);
        assert.strictEqual(r.workloadsCounted, true);
        const text = renderText(r);
        assert.match(text, /shop: 1-29 \(1\.29\.3\) -> 1-30 \(1\.30\.2\); restart 3 workloads/);
        assert.match(text, /wave 1\/1: restart namespace shop onto 1-30 \(1\.30\.2\): Deployment\/web, Deployment\/api, StatefulSet\/db/);
    });

    it("a move whose pods already run the target restarts nothing (adoption)", () => {
        const adopted = state(moveShop, installed, {});
        const s = moveShopStream().outputs({ upgradePlan: adopted.plan, meshState: adopted.facts.state });
        const r = buildReport(s.events, { stack: "staging", previous: installed });
        assert.deepStrictEqual(r.namespaces.map(n => [n.namespace, n.restart, n.workloads]), [["shop", false, 0]]);
        assert.match(renderText(r), /shop: 1-29 \(1\.29\.3\) -> 1-30 \(1\.30\.2\); no restart \(its pods run the target\)/);
    });

    it("a namespace whose binding did not change but whose pods do not run it (relabelled by hand, interrupted up) is listed", () => {
        const drift = state(moveShop, moved.facts.state, { cart: ["Deployment/cart"] });
        const s = moveShopStream().outputs({ upgradePlan: drift.plan, meshState: drift.facts.state });
        const r = buildReport(s.events, { stack: "staging", previous: moved.facts.state });
        assert.deepStrictEqual(r.namespaces, [{ namespace: "cart", to: drift.facts.state.namespaces.cart, restart: true, workloads: 1 }]);
    });

    it("says when restarts were not decided (render mode: no cluster)", () => {
        const rendered = state(moveShop, installed);
        const s = moveShopStream().outputs({ upgradePlan: rendered.plan, meshState: rendered.facts.state });
        const r = buildReport(s.events, { stack: "staging", previous: installed });
        assert.strictEqual(r.namespaces[0].workloads, null);
        assert.strictEqual(r.workloadsCounted, false);
        assert.match(renderText(r), /restarts not decided \(no cluster observed: render mode\)/);
    });

    it("builds the skew table before and after for every proxy group", () => {
        const r = buildReport(moveShopStream().events, { stack: "staging", previous: installed });
        assert.deepStrictEqual(r.skew.map(s => [s.proxies, s.before?.version, s.after?.version, s.ok]), [
            ["namespace cart", "1.29.3", "1.29.3", true],
            ["namespace shop", "1.29.3", "1.30.2", true],
            ["gateway istio-system/ingress", "1.29.3", "1.29.3", true],
        ]);
    });

    it("lists Gateway API gateways in the skew table, before and after their move", () => {
        const gw = (revision: string) => ({ gatewayApi: { gateways: [{ name: "storefront", namespace: "shop", revision, listeners: [{ port: 80 }] }] } });
        const before = state({ ...moveShop, ...gw("1-29") }).facts.state;
        const after = state({ ...moveShop, ...gw("1-30") }, before);
        const r = buildReport(new Stream().outputs({ upgradePlan: after.plan, meshState: after.facts.state }).events, { stack: "staging", previous: before });
        assert.deepStrictEqual(r.skew.filter(s => s.proxies.startsWith("Gateway API")).map(s => [s.proxies, s.before?.revision, s.after?.revision, s.ok]),
            [["Gateway API gateway shop/storefront", "1-29", "1-30", true]]);
        assert.match(renderText(r), /Gateway API gateway shop\/storefront: 1-29 \(1\.29\.3\) -> 1-30 \(1\.30\.2\), deployed by istiod-1-30/);
    });

    it("ambient mode: ztunnel's row against the revision serving it, and its changes in a phase of their own, between CNI and tags", () => {
        const ambient: RawConfig = { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-30" }, cni: { enabled: true }, ambient: { enabled: true, namespaces: ["shop"] } };
        const before = state({ ...ambient, tags: { default: "1-29" } }).facts.state;
        const after = state(ambient, before);
        const s = new Stream().step("update", [MESH, TYPE.ztunnel, "kubernetes:helm.sh/v4:Chart"], "ztunnel")
            .step("update", [MESH, TYPE.ztunnel, "command:local:Command"], "ztunnel-rollout").outputs({ upgradePlan: after.plan, meshState: after.facts.state });
        const r = buildReport(s.events, { stack: "staging", previous: before });
        assert.deepStrictEqual(r.skew.filter(x => x.proxies.startsWith("ztunnel")), [
            { proxies: "ztunnel (every node)", before: { revision: "1-29", version: "1.29.3" }, after: { revision: "1-30", version: "1.30.2" }, ok: true },
        ]);
        assert.deepStrictEqual(r.phases.map(p => [p.phase, p.changes.map(c => c.name)]), [["ztunnel", ["ztunnel", "ztunnel-rollout"]]]);
        const behind = { ...after.facts.state, ambient: { ...after.facts.state.ambient!, ztunnel: { version: "1.28.4", revision: "1-30" } } };
        const flagged = buildReport(new Stream().outputs({ upgradePlan: after.plan, meshState: behind }).events, { stack: "staging", previous: before });
        assert.match(flagged.skew.find(x => x.proxies.startsWith("ztunnel"))!.reason!, /ztunnel 1\.28\.4 is 2 minors behind its control plane 1-30/);
    });

    it("flags proxies left too far behind their control plane", () => {
        const now = { ...moved.facts.state, revisions: { ...moved.facts.state.revisions, "1-29": { version: "1.31.0" } } };
        const s = new Stream().outputs({ upgradePlan: moved.plan, meshState: now });
        const r = buildReport(s.events, { stack: "staging", previous: installed });
        const cart = r.skew.find(x => x.proxies === "namespace cart")!;
        assert.strictEqual(cart.ok, false);
        assert.match(cart.reason!, /2 minors ahead/);
    });

    it("lists policy results mandatory first, with advice; a mandatory one makes the step unsafe", () => {
        const s = moveShopStream()
            .policy("istio-end-of-life", "warning", "Istio 1.29 reached end of life", "istiod-1-29")
            .policy("istio-proxy-not-newer-than-control-plane", "mandatory", "gateway ingress (1.31.0) is newer than istiod-1-30 (1.30.2)", "gateway");
        const r = buildReport(s.events, { stack: "staging", advice: { "istio-proxy-not-newer-than-control-plane": "gateway ingress (1.31.0)" } });
        assert.deepStrictEqual(r.policies.map(p => p.level), ["mandatory", "warning"]);
        assert.strictEqual(r.policies[0].advice, "gateway ingress (1.31.0)");
        assert.strictEqual(r.policies[0].message, "is newer than istiod-1-30 (1.30.2)", "the description is not repeated in the message");
        assert.strictEqual(r.safe, false);
        assert.match(r.reasons[0], /1 mandatory policy violation\(s\): istio-proxy-not-newer-than-control-plane/);
        assert.strictEqual(exitCode(r), 1);
    });

    it("a warning alone keeps the step safe", () => {
        const r = buildReport(moveShopStream().policy("istio-end-of-life", "warning", "old").events, { stack: "staging" });
        assert.strictEqual(r.safe, true);
        assert.strictEqual(exitCode(r), 0);
    });

    it("a failed preview is unsafe with exit status 2 and the reason", () => {
        const s = new Stream().error("invalid istio-mesh stack config (1 problem): ...");
        const r = buildReport(s.events, { stack: "staging", previewError: "preview failed" });
        assert.strictEqual(r.safe, false);
        assert.match(r.reasons[0], /the preview failed/);
        assert.strictEqual(exitCode(r), 2);
        assert.strictEqual(r.upgrade, undefined);
    });

    it("counts objects by operation from the summary", () => {
        const r = buildReport(moveShopStream().events, { stack: "staging" });
        assert.deepStrictEqual(r.counts, { create: 0, update: 2, delete: 0, replace: 0, same: 40 });
    });
});

describe("plan report: formats", () => {
    let report: PlanReport;
    before(() => {
        report = buildReport(moveShopStream().policy("istio-end-of-life", "warning", "Istio 1.29 | past EOL").events,
            { stack: "staging", previous: installed });
    });

    it("text: verdict, changes, namespaces, skew, policies, counts", () => {
        const t = renderText(report);
        assert.match(t, /^Upgrade step for stack staging: SAFE/);
        assert.match(t, /- namespace shop: default -> 1-29 \(1\.29\.3\) -> 1-30 \(1\.30\.2\)\n  - wave 1\/1: restart namespace shop onto 1-30/);
        assert.match(t, /\[warning\] istio-end-of-life/);
        assert.match(t, /Objects: 0 create, 2 update, 0 delete, 0 replace, 40 same/);
        assert.match(t, /namespaces: update NamespacePatch namespace-shop, update Command workload-restarts/);
    });

    it("markdown: tables a pull request renders, pipes escaped", () => {
        const m = renderMarkdown(report);
        assert.match(m, /^### Istio upgrade step: `staging` ✅ safe/);
        assert.match(m, /\| shop \| 1-29 \(1\.29\.3\) \| 1-30 \(1\.30\.2\) \| restart 3 workloads \|/);
        assert.match(m, /Istio 1\.29 \\\| past EOL/);
    });

    it("json: stable, versioned, parseable", () => {
        const j = JSON.parse(renderJson(report));
        assert.strictEqual(j.formatVersion, 1);
        assert.strictEqual(j.safe, true);
        assert.deepStrictEqual(Object.keys(j), ["formatVersion", "stack", "safe", "reasons", "phases", "upgrade", "namespaces", "workloadsCounted", "skew", "policies", "counts", "errors"]);
        assert.strictEqual(render(report, "json"), renderJson(report));
    });
});
