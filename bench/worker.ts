/**
 * One measurement in a fresh process, printed as one JSON line:
 *   worker.ts program <namespaces>   the program under mocks (registration of every resource, after module
 *                                    loading): wall time and peak memory
 *   worker.ts policies <namespaces>  the policy pack over what the program registers for that mesh
 */
import { keepStackTracesShort } from "../program";
import { runProgram } from "../test/support/mocks";
import { benchMeshConfig } from "./mesh";

async function main() {
    const [what, n] = [process.argv[2], Number(process.argv[3])];
    // As index.ts does for real runs. Module loading (ts-node, the SDKs) is done by now and not counted.
    keepStackTracesShort();
    const config = benchMeshConfig(n);
    const start = process.hrtime.bigint();
    const run = await runProgram(config);
    const programMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (what === "program") {
        const maxRssMB = process.resourceUsage().maxRSS / 1024;
        console.log(JSON.stringify({ ms: programMs, maxRssMB, resources: run.resources.length }));
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
