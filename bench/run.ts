/**
 * `npm run bench`: issue 27's figures, each printed with its target, MET or MISSED, and the baseline beside it.
 *
 *   5. the program under Pulumi's mocks at 100, 1,000 and 10,000 namespaces (median of several runs, each in a fresh
 *      process: wall time, CPU time, peak memory), the SDK's own floor at 10,000 (as many namespace patches and
 *      nothing else), the policy pack over what the program registers, and the real engine's preview in render mode
 *      at 1,000 and 10,000 namespaces (bench/render.ts); growth per 10x of namespaces on each figure.
 *   1-4, 6. the real engine against a local cluster (bench/preview.ts): previews, `pulumi up` of each step against
 *      the manual path, a re-run, the caches after 100 previews, the disruption of each step.
 * The health gate's own cost per wave (round one) is printed too. A figure whose tools are missing prints SKIPPED
 * with the reason. Figures are written as JSON under bench/results/ (ignored by git). BENCH_PREVIEW=0 skips the
 * local-cluster part (about 30 minutes on 2 cores), BENCH_RENDER=0 the render-mode previews.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toolchainMissing } from "../demo/local";
import { runPreviewBench, writePreviewResults } from "./preview";
import { RENDER_NEEDS, renderPreviews } from "./render";
import { TARGETS } from "./targets";

const SIZES = [100, 1000, 10000];
const RUNS: Record<number, number> = { 100: 5, 1000: 5, 10000: 3 };
/** Namespaces per wave for the gate's figure: the default (1) and a wide wave. */
const GATE_WAVES = [1, 50];

interface Stat { median: number; min: number; max: number }

function stat(xs: number[]): Stat {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

function measure(what: string, n: number): Record<string, number> {
    const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "worker.ts"), what, String(n)],
        { encoding: "utf8", cwd: path.join(__dirname, ".."), maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "ignore"] });
    return JSON.parse(out.trim().split("\n").pop()!);
}

function fmt(s: Stat, unit: string, digits = 0): string {
    return `${s.median.toFixed(digits)} ${unit} (${s.min.toFixed(digits)}-${s.max.toFixed(digits)})`;
}

const met = (ok: boolean) => (ok ? "MET" : "MISSED");
/** A factor for 10x more namespaces, from a factor over `sizeFactor` times more. */
const per10x = (factor: number, sizeFactor: number) => Math.pow(factor, 1 / Math.log10(sizeFactor));

function programBench(): { lines: string[]; json: Record<string, unknown> } {
    const rows = SIZES.map(n => {
        const program = Array.from({ length: RUNS[n] }, () => measure("program", n));
        const policies = Array.from({ length: RUNS[n] }, () => measure("policies", n));
        process.stderr.write(`measured ${n} namespaces\n`);
        return {
            namespaces: n,
            resources: program[0].resources,
            programMs: stat(program.map(p => p.ms)),
            programCpuMs: stat(program.map(p => p.cpuMs)),
            programPeakMB: stat(program.map(p => p.maxRssMB)),
            policyMs: stat(policies.map(p => p.ms)),
            policyViolations: policies[0].violations,
            policyMandatory: policies[0].mandatory,
        };
    });
    const big = rows[rows.length - 1];
    const floorRuns = Array.from({ length: RUNS[big.namespaces] }, () => measure("floor", big.namespaces));
    const floor = { ms: stat(floorRuns.map(f => f.ms)), cpuMs: stat(floorRuns.map(f => f.cpuMs)), peakMB: stat(floorRuns.map(f => f.maxRssMB)) };
    const growth = rows.slice(1).map((r, i) => {
        const [from, sizeFactor] = [rows[i], r.namespaces / rows[i].namespaces];
        return { from: from.namespaces, to: r.namespaces,
            timePer10x: per10x(r.programMs.median / from.programMs.median, sizeFactor),
            memoryPer10x: per10x(r.programPeakMB.median / from.programPeakMB.median, sizeFactor) };
    });
    const k1 = rows.find(r => r.namespaces === 1000)!;
    const lines = [
        "### 5. The program under Pulumi's mocks (registering every resource, after module loading; each run a fresh process)",
        "",
        "| namespaces | resources | program, median (min-max) | its CPU time | peak memory (max RSS) | policy pack | violations (mandatory) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        ...rows.map(r => `| ${r.namespaces} | ${r.resources} | ${fmt(r.programMs, "ms")} | ${fmt(r.programCpuMs, "ms")} | ${fmt(r.programPeakMB, "MB")} | ${fmt(r.policyMs, "ms", 1)} | ${r.policyViolations} (${r.policyMandatory}) |`),
        `| ${big.namespaces}: the SDK's floor (as many namespace patches, nothing else) | ${big.namespaces} | ${fmt(floor.ms, "ms")} | ${fmt(floor.cpuMs, "ms")} | ${fmt(floor.peakMB, "MB")} | | |`,
        "",
        ...growth.map(g => `growth from ${g.from} to ${g.to} namespaces, per 10x: time x${g.timePer10x.toFixed(1)}, peak memory x${g.memoryPer10x.toFixed(1)}`),
        "",
        `target: program at ${big.namespaces} namespaces under ${TARGETS.program10kMs} ms: ${(big.programMs.median).toFixed(0)} ms, ${met(big.programMs.median < TARGETS.program10kMs)} ` +
        `(the SDK's floor alone: ${floor.ms.median.toFixed(0)} ms)`,
        `target: peak memory at ${big.namespaces} namespaces under ${TARGETS.program10kMB} MB: ${big.programPeakMB.median.toFixed(0)} MB, ${met(big.programPeakMB.median < TARGETS.program10kMB)}`,
        `target: growth per 10x of namespaces at most ${TARGETS.growthPer10x}x (time and memory): ${met(growth.every(g => g.timePer10x <= TARGETS.growthPer10x && g.memoryPer10x <= TARGETS.growthPer10x))}`,
        `round one: program at 1,000 namespaces within ${TARGETS.program1kMs} ms: ${k1.programMs.median.toFixed(0)} ms, ${met(k1.programMs.median <= TARGETS.program1kMs)}; ` +
        `policy pack over ${big.resources} resources within ${TARGETS.policyPackMs} ms: ${big.policyMs.median.toFixed(0)} ms, ${met(big.policyMs.median <= TARGETS.policyPackMs)}`,
    ];
    return { lines, json: { rows, floor, growth } };
}

function gateBench(): { lines: string[]; json: unknown } {
    const gate = GATE_WAVES.map(n => {
        const runs = Array.from({ length: 5 }, () => measure("gate", n));
        return { namespacesPerWave: n, checks: runs[0].checksPerWave, stepMs: stat(runs.map(r => r.stepPerWaveMs)), programMs: stat(runs.map(r => r.programPerWaveMs)) };
    });
    return {
        lines: ["### Health gate, its own cost per wave (Prometheus' answers and the bake excluded; 200 waves per run, 5 runs)", "",
            "| namespaces per wave | checks per wave | restart step: resolve, judge, log | program: plan the wave's gate |", "|---:|---:|---:|---:|",
            ...gate.map(g => `| ${g.namespacesPerWave} | ${g.checks} | ${fmt(g.stepMs, "ms", 2)} | ${fmt(g.programMs, "ms", 2)} |`),
            `round one: under 1 s per wave: ${met(gate.every(g => g.stepMs.median + g.programMs.median < 1000))}`],
        json: gate,
    };
}

/** Item 5's engine figure: render-mode previews at 1,000 and 10,000 namespaces. */
function renderBench(): { lines: string[]; json: unknown } {
    const title = "### 5. The real engine's preview in render mode (bench/render.ts)";
    if (process.env.BENCH_RENDER === "0") {
        return { lines: [title, "", "SKIPPED: BENCH_RENDER=0"], json: undefined };
    }
    const missing = toolchainMissing(RENDER_NEEDS);
    if (missing) {
        return { lines: [title, "", `SKIPPED: the offline toolchain lacks ${missing}; build it with 'npm run toolchain'`], json: undefined };
    }
    let previews;
    try {
        previews = renderPreviews([1000, 5000, 10000], line => process.stderr.write(`${line}\n`));
    } catch (e) {
        process.exitCode = 1;
        return { lines: [title, "", `FAILED: ${String((e as Error).message ?? e).slice(0, 3000)}`], json: undefined };
    }
    const [k1, , k10] = previews;
    const growth = k10.ms / k1.ms;
    return {
        lines: [title, "", "| namespaces | resources to create | pulumi preview (one run) |", "|---:|---:|---:|",
            ...previews.map(p => `| ${p.namespaces} | ${p.creates} | ${p.error ? `FAILED: ${p.error}` : `${(p.ms / 1000).toFixed(1)} s`} |`), "",
            `target: under ${TARGETS.render10kMs / 1000} s at ${k10.namespaces} namespaces: ` + (k10.error ? `MISSED: it cannot run (${k10.error})` :
                `${(k10.ms / 1000).toFixed(1)} s, ${met(k10.ms < TARGETS.render10kMs)}; growth x${growth.toFixed(1)} for 10x the namespaces (at most ${TARGETS.growthPer10x}x): ${met(growth <= TARGETS.growthPer10x)}`)],
        json: previews,
    };
}

/** Items 1-4 and 6: the real engine against a local cluster, when the toolchain is there. */
function clusterBench(): { lines: string[]; json: unknown; file?: string } {
    const title = "### 1-4, 6. Preview, up, re-run and caches on a local cluster (bench/preview.ts)";
    if (process.env.BENCH_PREVIEW === "0") {
        return { lines: [title, "", "SKIPPED: BENCH_PREVIEW=0"], json: undefined };
    }
    const missing = toolchainMissing();
    if (missing) {
        return { lines: [title, "", `SKIPPED: the offline toolchain is not built (${missing}); build it with 'npm run toolchain'`], json: undefined };
    }
    try {
        const r = runPreviewBench();
        return { lines: [title, "", ...r.lines], json: r.json, file: writePreviewResults(r.json) };
    } catch (e) {
        process.exitCode = 1;
        return { lines: [title, "", `FAILED: ${String((e as Error).message ?? e).slice(0, 6000)}`], json: undefined };
    }
}

function main() {
    const started = new Date();
    const load = os.loadavg()[0];
    const parts = [programBench(), gateBench(), renderBench(), clusterBench()];
    console.log([
        `## npm run bench: ${started.toISOString()}, ${os.cpus().length} cores, Node ${process.version}, load average ${load.toFixed(2)} at the start`,
        ...parts.flatMap(p => ["", ...p.lines]),
    ].join("\n"));
    const dir = path.join(__dirname, "results");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `bench-${started.toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, JSON.stringify({ machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadAtStart: load },
        program: parts[0].json, gate: parts[1].json, render: parts[2].json, cluster: parts[3].json }, null, 2));
    console.log(`\nwritten: ${path.relative(process.cwd(), file)}`);
}

main();
