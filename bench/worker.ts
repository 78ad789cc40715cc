/**
 * One measurement in a fresh process, printed as one JSON line:
 *   worker.ts program <namespaces>   the program under mocks (registration of every resource, after module
 *                                    loading): wall time and peak memory
 *   worker.ts policies <namespaces>  the policy pack over what the program registers for that mesh
 *   worker.ts floor <namespaces>     the SDK's floor: as many namespace patches as the program registers (same inputs, 50
 *                                    in flight), under the same mocks, and nothing else
 *   worker.ts gate <namespaces>      the health gate's own cost per wave of that many namespaces, Prometheus' answers
 *                                    and the bake excluded: in the restart step (checks resolved, judged, logged) and
 *                                    in the program (the wave's gate planned)
 */
import { runProgram } from "../test/support/mocks";
import { benchMeshConfig } from "./mesh";

/** The gate's work per wave, with an instant answer for every query and no bake. */
async function gateCost(n: number): Promise<{ stepPerWaveMs: number; programPerWaveMs: number; checksPerWave: number }> {
    const { parseMeshConfig } = await import("../model/config");
    const { planGates, waveGate, waveChecks } = await import("../model/gate");
    const { waveHooks } = await import("../components/gateStep");
    const gate = parseMeshConfig({ revisions: [{ version: "1.31.0" }], healthGate: { prometheus: { url: "http://127.0.0.1:9" }, bake: "0s" } }).healthGate!;
    const targets = Array.from({ length: n }, (_, i) => ({ namespace: `app-${String(i).padStart(5, "0")}`, label: "1-31", revision: "1-31", version: "1.31.0" }));
    const waves = 200;
    const wave = waveGate(gate);
    const hooks = waveHooks(wave, async q => ({ values: [q.includes("up{") ? 1 : 0] }), { now: () => Date.now(), sleep: async () => undefined }, () => undefined,
        { pending: () => [], write: () => undefined, clear: () => undefined });
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < waves; i++) {
        await hooks.afterWave(targets, Date.now(), i, waves);
    }
    const stepPerWaveMs = Number(process.hrtime.bigint() - t0) / 1e6 / waves;
    t0 = process.hrtime.bigint();
    planGates(gate, { revisionsAdded: [], revisionsUpgradedInPlace: [], tagsMoved: [], gatewaysMoving: [], namespacesOfTag: {},
        waves: Array.from({ length: waves }, () => targets) });
    const programPerWaveMs = Number(process.hrtime.bigint() - t0) / 1e6 / waves;
    return { stepPerWaveMs, programPerWaveMs, checksPerWave: waveChecks(wave, targets).length };
}

/** What the SDK costs for `n` namespace patches alone, registered as the program registers them. */
async function sdkFloor(n: number): Promise<{ ms: number; cpuMs: number; maxRssMB: number }> {
    const pulumi = await import("@pulumi/pulumi");
    const { bindNamespace, bindPaced } = await import("../components/namespaceBinding");
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const settings = require("@pulumi/pulumi/runtime/settings");
    await pulumi.runtime.setMocks({ newResource: a => ({ id: `${a.name}-id`, state: a.inputs }), call: () => ({}) }, "istio-mesh", "test", false, "organization");
    const names = Object.keys(benchMeshConfig(n).namespaces as Record<string, string>);
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    await bindPaced(names, name => bindNamespace(`namespace-${name}`, { namespace: name, binding: { target: "default", revision: "1-29", version: "1.29.3" } }, {}));
    await settings.waitForRPCs();
    const used = process.cpuUsage(cpu);
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: (used.user + used.system) / 1000, maxRssMB: process.resourceUsage().maxRSS / 1024 };
}

async function main() {
    const [what, n] = [process.argv[2], Number(process.argv[3])];
    if (what === "gate") {
        console.log(JSON.stringify(await gateCost(n)));
        return;
    }
    if (what === "floor") {
        console.log(JSON.stringify(await sdkFloor(n)));
        return;
    }
    // Module loading (ts-node, the SDKs) is done by now and not counted.
    const config = benchMeshConfig(n);
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const run = await runProgram(config);
    const programMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (what === "program") {
        const used = process.cpuUsage(cpu);
        const maxRssMB = process.resourceUsage().maxRSS / 1024;
        console.log(JSON.stringify({ ms: programMs, cpuMs: (used.user + used.system) / 1000, maxRssMB, resources: run.resources.length }));
        return;
    }
    const { evaluatePolicies } = await import("../test/support/evaluate");
    const resources = run.resources.map(r => ({ type: r.type, name: r.name, props: r.inputs }));
    const t0 = process.hrtime.bigint();
    const violations = await evaluatePolicies(resources);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(JSON.stringify({ ms, resources: resources.length, violations: violations.length,
        mandatory: violations.filter(v => v.enforcementLevel === "mandatory").length }));
}

main().catch(e => { console.error(e); process.exit(1); });
