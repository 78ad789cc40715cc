/**
 * `npm run bench`: how program evaluation and the policy pack grow with the mesh. Each figure is the median
 * of several runs (min and max beside it), each in a fresh process, on this machine in this run. Prints a table
 * and writes it as JSON under bench/results/ (ignored by git).
 *
 * Then, when the offline toolchain is built, the real engine on a local cluster (bench/preview.ts: `pulumi preview`
 * against the manual baseline, and the disruption of each canary step); otherwise one line says it is skipped
 * and why. BENCH_PREVIEW=0 skips it (it takes about 20 minutes on 2 cores).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toolchainMissing } from "../demo/local";
import { runPreviewBench, writePreviewResults } from "./preview";

const SIZES = [100, 1000, 5000];
const RUNS: Record<number, number> = { 100: 5, 1000: 5, 5000: 3 };
/** Namespaces per wave for the gate's figure: the default (1) and a wide wave. */
const GATE_WAVES = [1, 50];

interface Stat { median: number; min: number; max: number }

function stat(xs: number[]): Stat {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

function measure(what: string, n: number): Record<string, number> {
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "worker.ts"), what, String(n)],
        { encoding: "utf8", cwd: path.join(__dirname, ".."), maxBuffer: 1 << 26 });
    return JSON.parse(out.trim().split("\n").pop()!);
}

function fmt(s: Stat, unit: string, digits = 0): string {
    return `${s.median.toFixed(digits)} ${unit} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
}

function main() {
    const rows: any[] = [];
    for (const n of SIZES) {
        const program = Array.from({ length: RUNS[n] }, () => measure("program", n));
        const policies = Array.from({ length: RUNS[n] }, () => measure("policies", n));
        rows.push({
            namespaces: n,
            resources: program[0].resources,
            programMs: stat(program.map(p => p.ms)),
            programPeakMB: stat(program.map(p => p.maxRssMB)),
            policyMs: stat(policies.map(p => p.ms)),
            policyViolations: policies[0].violations,
            policyMandatory: policies[0].mandatory,
        });
        process.stderr.write(`measured ${n} namespaces\n`);
    }
    const growth = rows.slice(1).map((r, i) => ({
        from: rows[i].namespaces, to: r.namespaces,
        programFactor: r.programMs.median / rows[i].programMs.median,
        sizeFactor: r.namespaces / rows[i].namespaces,
    })).map(g => ({ ...g, per10x: Math.pow(g.programFactor, 1 / Math.log10(g.sizeFactor)) }));
    const lines = [
        `| namespaces | resources | program under mocks, median (min-max) | peak memory | policy pack | violations (mandatory) |`,
        `|---:|---:|---:|---:|---:|---:|`,
        ...rows.map(r => `| ${r.namespaces} | ${r.resources} | ${fmt(r.programMs, "ms")} | ${fmt(r.programPeakMB, "MB")} | ${fmt(r.policyMs, "ms", 1)} | ${r.policyViolations} (${r.policyMandatory}) |`),
        "",
        ...growth.map(g => `program time x${g.programFactor.toFixed(1)} for namespaces x${g.sizeFactor} (${g.from} -> ${g.to}): x${g.per10x.toFixed(1)} per 10x`),
        "program: registering every resource under Pulumi's mocks, after module loading; peak memory is the process's maximum RSS.",
        `targets: program at 1,000 namespaces <= 2000 ms: ${rows[1].programMs.median <= 2000 ? "met" : "MISSED"}; ` +
        `growth per 10x <= 10x: ${growth.every(g => g.per10x <= 10) ? "met" : "MISSED"}; ` +
        `peak memory at ${rows[2].namespaces} namespaces < 500 MB: ${rows[2].programPeakMB.median < 500 ? "met" : "MISSED"}; ` +
        `policy pack over ${rows[2].resources} resources <= 1000 ms: ${rows[2].policyMs.median <= 1000 ? "met" : "MISSED"}`,
    ];
    const gate = GATE_WAVES.map(n => {
        const runs = Array.from({ length: 5 }, () => measure("gate", n));
        return { namespacesPerWave: n, checks: runs[0].checksPerWave, stepMs: stat(runs.map(r => r.stepPerWaveMs)), programMs: stat(runs.map(r => r.programPerWaveMs)) };
    });
    lines.push("", "Health gate, its own cost per wave (Prometheus' answers and the bake excluded; 200 waves per run, 5 runs):", "",
        "| namespaces per wave | checks per wave | restart step: resolve, judge, log | program: plan the wave's gate |", "|---:|---:|---:|---:|",
        ...gate.map(g => `| ${g.namespacesPerWave} | ${g.checks} | ${fmt(g.stepMs, "ms", 2)} | ${fmt(g.programMs, "ms", 2)} |`),
        `target: under 1 s per wave: ${gate.every(g => g.stepMs.median + g.programMs.median < 1000) ? "met" : "MISSED"}`);
    console.log(lines.join("\n"));
    const dir = path.join(__dirname, "results");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `bench-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, JSON.stringify({ machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, rows, growth, gate }, null, 2));
    console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
}

/** Parts 3 and 4: the real engine against a local cluster, when the toolchain is there. */
function previewBench() {
    const title = "preview and disruption on a local cluster (bench/preview.ts)";
    if (process.env.BENCH_PREVIEW === "0") {
        console.log(`\n${title}: skipped: BENCH_PREVIEW=0`);
        return;
    }
    const missing = toolchainMissing();
    if (missing) {
        console.log(`\n${title}: skipped: the offline toolchain is not built (${missing}); build it with 'npm run toolchain'`);
        return;
    }
    try {
        const r = runPreviewBench();
        console.log(`\n${r.lines.join("\n")}`);
        console.log(`\nwritten: ${path.relative(process.cwd(), writePreviewResults(r.json))}`);
    } catch (e) {
        console.error(`\n${title}: failed: ${String((e as Error).message ?? e).slice(0, 6000)}`);
        process.exitCode = 1;
    }
}

main();
previewBench();
