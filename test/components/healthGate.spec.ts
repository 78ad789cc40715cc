/** The health gate wired into the program, under Pulumi's mocks: where the gate steps are, what waits for them, secrets. */
import * as assert from "assert";
import { RawConfig } from "../../model/config";
import { MeshState } from "../../model/facts";
import { parseGateRequest, WaveGate } from "../../model/gate";
import { workload } from "../support/cluster";
import { find, ofType, runProgram, TYPES } from "../support/mocks";

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const healthGate = { prometheus: { url: "http://127.0.0.1:9090" }, bake: "30s", window: "30s" };
const gateway = (revision: string) => [{ name: "ingress", namespace: "istio-ingress", revision, serviceType: "ClusterIP" }];
const before: RawConfig = {
    revisions: [{ version: "1.30.2" }], tags: { default: "1-30" }, namespaces: { shop: "default", cart: "default" }, gateways: gateway("default"),
};
const canary: RawConfig = {
    revisions: [{ version: "1.30.2" }, { version: "1.31.0" }], tags: { default: "1-30", canary: "1-31" },
    namespaces: { shop: "1-31", cart: "canary" }, gateways: gateway("canary"), healthGate,
};
const state = (namespaces: string[]): MeshState => ({
    revisions: { "1-30": { version: "1.30.2" } }, tags: { default: "1-30" },
    namespaces: Object.fromEntries(namespaces.map(n => [n, { target: "default", revision: "1-30", version: "1.30.2" }])),
    gateways: { "istio-ingress/ingress": { target: "default", revision: "1-30", version: "1.30.2" } },
    crds: { version: "1.30.2", step: true },
});
/** The cluster before the canary step: each namespace's pod injected by 1-30. */
const cluster = {
    namespaceLabels: { shop: "default", cart: "default" },
    objects: ["shop", "cart"].flatMap(ns => workload(ns, "app", { pods: [{ revision: "1-30", version: "1.30.2" }] })),
};
const command = (run: Awaited<ReturnType<typeof runProgram>>, name: string) => find(run, TYPES.command, name);
const dependsOn = (r: { dependencies: string[] }, name: string) => r.dependencies.some(u => u.endsWith(`::${name}`));

describe("the health gate under mocks", () => {
    it("is not there unless configured: no gate step, the restart step as before", async () => {
        const run = await runProgram({ ...canary, healthGate: {} }, state(["shop", "cart"]), {}, undefined, {}, cluster);
        assert.deepStrictEqual(ofType(run, TYPES.command).filter(c => c.name.startsWith("health-gate")), []);
        assert.strictEqual(command(run, "workload-restarts").inputs.environment.HEALTH_GATE, undefined);
        assert.strictEqual(run.outputs.upgradePlan.healthGate, undefined);
    });

    it("gates each control plane, tag and gateway; what moves next waits for its gate; the checks are the steps' inputs", async () => {
        const run = await runProgram(canary, state(["shop", "cart"]), {}, undefined, {}, cluster);
        const cp = command(run, "health-gate-1-31");
        assert.ok(dependsOn(cp, "istiod-1-31"), `the gate runs after the istiod chart: ${cp.dependencies}`);
        const request = parseGateRequest<any>(cp.inputs.stdin);
        assert.strictEqual(request.point, "control plane 1-31 (1.31.0)");
        assert.ok(request.checks.some((c: any) => c.name === "injectionFailures" && c.query.includes(`istio_io_rev="1-31"`)), cp.inputs.stdin);
        assert.ok(cp.inputs.stdin.split("\n").some((l: string) => l.includes("\"xdsRejects\"") && l.includes("\"threshold\":0")),
            "one check per line of the step's input, with its threshold");
        // Namespace shop moves to 1-31 directly, cart through the canary tag: both wait for 1-31's gate (cart also for the tag's).
        const shop = find(run, TYPES.namespacePatch, "namespace-shop");
        const cart = find(run, TYPES.namespacePatch, "namespace-cart");
        assert.ok(dependsOn(shop, "health-gate-1-31") && dependsOn(cart, "health-gate-1-31"));
        assert.ok(dependsOn(cart, "health-gate-tag-canary") && !dependsOn(shop, "health-gate-tag-canary"));
        const tagGate = command(run, "health-gate-tag-canary");
        assert.deepStrictEqual(parseGateRequest<any>(tagGate.inputs.stdin).checks.filter((c: any) => c.where.startsWith("namespace")).map((c: any) => c.where),
            ["namespace cart", "namespace cart"], "a tag's gate watches the namespaces that follow it");
        // The gateway: a start marker it depends on, then its gate, which the namespaces wait for.
        const gw = find(run, TYPES.chart, "gateway-istio-ingress/ingress");
        assert.ok(dependsOn(gw, "health-gate-gateway-istio-ingress/ingress-start") && dependsOn(gw, "health-gate-1-31"));
        assert.ok(dependsOn(command(run, "health-gate-gateway-istio-ingress/ingress"), "gateway-istio-ingress/ingress"));
        assert.ok(dependsOn(shop, "health-gate-gateway-istio-ingress/ingress"));
        // The untouched revision's gate exists too (it re-runs only when its request changes).
        assert.ok(command(run, "health-gate-1-30"));
    });

    it("hands the restart step the wave gate, and plans every gate of the step in up's order", async () => {
        const run = await runProgram(canary, state(["shop", "cart"]), {}, undefined, {}, cluster);
        const wave = parseGateRequest<WaveGate>(command(run, "workload-restarts").inputs.environment.HEALTH_GATE);
        assert.deepStrictEqual([wave.bake, wave.window], ["30s", "30s"]);
        assert.strictEqual(command(run, "workload-restarts").inputs.environment.GATE_RECORD_NAMESPACE, "istio-system", "where a failed wave is recorded");
        assert.ok(wave.templates.some(t => t.name === "errorRate" && t.query.includes("{requests}")));
        const plan = run.outputs.upgradePlan;
        assert.deepStrictEqual(plan.healthGate.points.map((p: any) => p.point), [
            "control plane 1-31 (1.31.0)", "tag canary -> 1-31", "gateway istio-ingress/ingress -> 1-31 (1.31.0)", "wave 1/2 (cart)", "wave 2/2 (shop)",
        ]);
        assert.ok(plan.summary.some((l: string) => /^health gate \(Prometheus http:\/\/127\.0\.0\.1:9090, bake 30s/.test(l)), plan.summary.join("\n"));
    });

    it("gives the steps the bearer token and headers as secrets only", async () => {
        const run = await runProgram(canary, state(["shop", "cart"]), { healthGateBearerToken: "tok-3141", healthGateHeaders: "{\"X-Scope-OrgID\":\"mesh\"}" },
            undefined, {}, cluster);
        for (const name of ["health-gate-1-31", "health-gate-tag-canary", "workload-restarts"]) {
            const env = command(run, name).inputs.environment;
            assert.ok(Object.values(env).includes(SECRET_SIG), `${name}'s environment is not secret`);
            assert.strictEqual(env.value.PROMETHEUS_BEARER_TOKEN, "tok-3141");
            assert.strictEqual(env.value.PROMETHEUS_HEADERS, "{\"X-Scope-OrgID\":\"mesh\"}");
            assert.ok(!String(command(run, name).inputs.stdin ?? "").includes("tok-3141"));
        }
        const plainText = JSON.stringify(run.resources.map(r => ({ ...r, inputs: { ...r.inputs, environment: undefined } })));
        assert.ok(!plainText.includes("tok-3141") && !plainText.includes("X-Scope-OrgID"), "a credential outside a secret");
        assert.ok(!JSON.stringify(run.outputs.upgradePlan).includes("tok-3141"));
    });

    it("has no effect in render mode, and says so", async () => {
        const run = await runProgram({ ...canary, renderDirectory: "./rendered" }, undefined, {}, undefined, {}, cluster);
        assert.deepStrictEqual(ofType(run, TYPES.command).filter(c => c.name.startsWith("health-gate")), []);
    });
});
