/**
 * Issue 27's figures on the real engine against a local KWOK cluster (needs the offline toolchain), each a ratio to
 * the manual path measured in the same run, on a cluster of 200 namespaces bound to the stack and 100 it does not bind
 * (which the runbook's loop moves), one 2-replica Deployment each:
 *
 *   1. `pulumi preview` of "add a canary revision" against `istioctl manifest generate` of the revision and of the base
 *      chart's CRDs plus `kubectl diff --server-side` of both (within 1.5x), and the step's first preview, which renders
 *      the new CRDs (within 3x). Round one's preview of "move 50 namespaces" against the runbook's label loop too.
 *   2. `pulumi up` of "add a canary revision" against the manual install of the revision (the new CRDs and istiod
 *      rendered by istioctl, applied server-side, istiod awaited): within 1.5x. Each run undone before the next.
 *   3. `pulumi up` of "move 50 namespaces" at rollout.parallelNamespaces 1 and 5 against the runbook's loop (label,
 *      rollout restart, rollout status per namespace; 1 and 5 at a time) over 50 unbound namespaces: within 1.2x.
 *   4. `pulumi up` with nothing to do against the same of a program of as many empty components: within 1.5x.
 *   6. The CLI's automatic logs, the project's .istio-mesh/ and the file backend before and after 100 previews.
 *   And the disruption of each step applied with `pulumi up`: pods replaced and workloads restarted inside the
 *   namespaces the step moved (the upgrade plan's namespacesMoving, from meshState before and after) and outside them (0).
 *
 * Previews and their baselines alternate so that background load falls on both alike, and each figure starts once
 * the machine is quiet. Each preview's node processes are timed through a small --require hook (written to a temp
 * dir) to split the preview into CLI/engine start, Node start, program loading, program evaluation, the engine's
 * remaining steps and the CLI's end; two reference previews place it: the same stack with no change, and the floor
 * (an empty program importing the SDKs).
 *
 * Run alone with `ts-node --transpile-only bench/preview.ts`, or through `npm run bench`. Knobs (environment):
 *   BENCH_PREVIEW_RUNS (default 5), BENCH_UP_RUNS (default 3), BENCH_PREVIEW_NAMESPACES (default 200),
 *   BENCH_PREVIEW_MOVE (default 50), BENCH_HYGIENE_PREVIEWS (default 100),
 *   BENCH_PREVIEW_NODES (KWOK nodes, default 8: 110 pods each, room for every Deployment's surge pod).
 * Anything but the defaults is printed with the figures.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { baseValues, istioctlOverlay, istiodValues, overlayText } from "../istio";
import { appNamespace, LocalCluster, LocalProject, toolchainEnv } from "../demo/local";
import { CRD_RENDERS as RENDERS, KEPT_RENDERS } from "../components/crdFiles";
import { diskUse, objectsOf, referenceProject, runbookScript } from "./manual";
import { TARGETS } from "./targets";
import { RawConfig } from "../model/config";
import { Binding, MeshState, needsRestart, planUpgrade } from "../model/facts";

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { STAMP } = require("../tools/build/stamp") as { STAMP: string };
const RUNS = Number(process.env.BENCH_PREVIEW_RUNS ?? 5);
const UP_RUNS = Number(process.env.BENCH_UP_RUNS ?? 3);
const NAMESPACES = Number(process.env.BENCH_PREVIEW_NAMESPACES ?? 200);
const MOVE = Number(process.env.BENCH_PREVIEW_MOVE ?? 50);
const NODES = Number(process.env.BENCH_PREVIEW_NODES ?? 8);
const HYGIENE_PREVIEWS = Number(process.env.BENCH_HYGIENE_PREVIEWS ?? 100);
/** Namespaces restarted at a time by the steps that set the stage (not measured against a manual path). */
const SETUP_PARALLEL = 10;
const HUB = "registry.example.com/istio";
/** What .istio-mesh/ may hold: KEPT_RENDERS + 1 bundles of about 0.9 MB, their records, the cluster access files. */
const PROJECT_CACHE_BOUND = (KEPT_RENDERS + 1) * 1.2e6;

export interface Stat { median: number; min: number; max: number; runs: number[] }

function stat(xs: number[]): Stat {
    const s = [...xs].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1], runs: xs };
}

const sec = (ms: number) => (ms / 1000).toFixed(ms < 10000 ? 2 : 1);
const fmt = (s: Stat) => `${sec(s.median)} s (${sec(s.min)}-${sec(s.max)})`;

function log(text: string): void {
    process.stderr.write(`[preview bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}

function timed<T>(fn: () => T): { ms: number; value: T } {
    const t0 = process.hrtime.bigint();
    const value = fn();
    return { ms: Number(process.hrtime.bigint() - t0) / 1e6, value };
}

/** Runs a command; throws with its output unless its exit status is one of `ok`. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, ok: number[] = [0], input?: string): { stdout: string; stderr: string; code: number } {
    const r = spawnSync(cmd, args, { env, encoding: "utf8", maxBuffer: 1 << 28, input });
    const code = r.status ?? -1;
    if (!ok.includes(code)) {
        throw new Error(`${cmd} ${args.slice(0, 6).join(" ")}${args.length > 6 ? " ..." : ""} failed (${code}): ${(r.stdout ?? "").slice(-2000)}\n${(r.stderr ?? "").slice(-2000)}`);
    }
    return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", code };
}

function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The share of all cores busy over the next `ms` (/proc/stat: everything but idle and iowait). */
function cpuBusy(ms: number): number {
    const read = () => {
        const f = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
        return { idle: f[3] + (f[4] ?? 0), total: f.reduce((x, y) => x + y, 0) };
    };
    const before = read();
    sleep(ms);
    const after = read();
    return 1 - (after.idle - before.idle) / Math.max(1, after.total - before.total);
}

/** Below this share of the cores busy for two 2-second samples in a row, the machine is quiet. */
const QUIET_BUSY = 0.2;

/**
 * Waits until the machine is quiet: after an `up` that restarted hundreds of pods, the cluster's controllers and
 * the istiods keep a core busy for a while, and a preview timed then measures their work too. Gives up after
 * `maxMs` (the figures are then taken as they are). Returns the wait and the last sample.
 */
function waitQuiet(maxMs = 180_000): { ms: number; busy: number } {
    const t0 = Date.now();
    let calm = 0;
    let busy = 1;
    while (calm < 2 && Date.now() - t0 < maxMs) {
        busy = cpuBusy(2000);
        calm = busy < QUIET_BUSY ? calm + 1 : 0;
    }
    return { ms: Date.now() - t0, busy };
}

/**
 * Load average and the other heavy work on this machine at a moment (end-to-end tests, other local clusters,
 * other pulumi runs; this benchmark's own cluster, `ownDir`, aside): the figures are only comparable on an idle machine.
 * (When it is sampled, this benchmark runs no pulumi command of its own.)
 */
function machineLoad(ownDir?: string): { loadavg: number[]; others: string[] } {
    const ps = spawnSync("ps", ["-eo", "pid,pcpu,args", "--sort=-pcpu"], { encoding: "utf8" }).stdout ?? "";
    const others = ps.split("\n").slice(1).map(l => l.trim()).filter(Boolean)
        .map(l => l.split(/\s+/).slice(2).join(" "))
        .filter(a => /mocha|test:e2e|pulumi (up|preview|destroy|refresh)|bin\/kube-apiserver /.test(a) && !(ownDir && a.includes(ownDir)))
        .map(a => /kube-apiserver/.test(a) ? `another local cluster (${(/istio-mesh-cluster-\w+/.exec(a) ?? ["kube-apiserver"])[0]})` : a.slice(0, 100));
    return { loadavg: os.loadavg().map(x => Number(x.toFixed(2))), others: [...new Set(others)] };
}

// ---------------------------------------------------------------------------------------------------------------
// Timing of a preview's node processes: a --require hook writes one JSON line per node process at its exit.

const HOOK = `
const fs = require("fs");
const Module = require("module");
const { performance } = require("perf_hooks");
const file = process.env.BENCH_TIMING_FILE;
const dir = process.env.BENCH_PROJECT_DIR;
const now = () => performance.timeOrigin + performance.now();
const marks = { pid: process.pid, argv: process.argv.slice(1).join(" ").slice(0, 200), start: performance.timeOrigin, hook: now() };
const load = Module._load;
Module._load = function (request, parent, isMain) {
    if (marks.requireStart === undefined && typeof request === "string" && dir && request.startsWith(dir) && !request.includes("node_modules")) {
        marks.requireStart = now();
        const exported = load.apply(this, arguments);
        marks.requireEnd = now();
        if (typeof exported !== "function") {
            return exported;
        }
        return function (...args) {
            marks.runStart = now();
            const result = exported.apply(this, args);
            Promise.resolve(result).then(() => { marks.runEnd = now(); }, () => { marks.runEnd = now(); });
            return result;
        };
    }
    return load.apply(this, arguments);
};
process.on("exit", () => {
    marks.exit = now();
    const cpu = process.cpuUsage();
    marks.cpuMs = (cpu.user + cpu.system) / 1000;
    if (file) { fs.appendFileSync(file, JSON.stringify(marks) + "\\n"); }
});
`;

interface NodeMarks { pid: number; argv: string; start: number; hook: number; requireStart?: number; requireEnd?: number; runStart?: number; runEnd?: number; exit: number; cpuMs: number }

/** Where the time of one `pulumi preview` goes, in ms. */
export interface PreviewBreakdown {
    total: number;
    /** CLI start, stack and backend load, plugins, language host, until the program's node process starts. */
    cliToProgram: number;
    /** Node start and @pulumi/pulumi's runner, until the program (main.js) is required. */
    nodeAndRunner: number;
    /** Loading the program (main.js's build check, the compiled program or ts-node) and the SDKs it imports. */
    compileAndLoad: number;
    /** The program's function: config, the stack's recorded outputs read, every resource registered. */
    programRun: number;
    /** After the program's function: the engine finishing every step (provider check/diff), the outputs. */
    engineAfterProgram: number;
    /** From the program's exit to the CLI's exit (display, summary, policy analysis at the end when a pack runs). */
    afterProgram: number;
    /** CPU time (user + system) of the program's node process. */
    programCpu: number;
    /** Other node processes the preview started (the language host resolving the SDK; the policy pack when it runs), ms in total. */
    otherNodeMs: number;
}

function breakdown(t0: number, t1: number, marks: NodeMarks[]): PreviewBreakdown | undefined {
    const p = marks.find(m => m.requireStart !== undefined && /cmd\/run(?!-policy)/.test(m.argv));
    if (!p || p.requireEnd === undefined || p.runStart === undefined || p.runEnd === undefined) {
        return undefined;
    }
    return {
        total: t1 - t0,
        cliToProgram: p.start - t0,
        nodeAndRunner: p.requireStart! - p.start,
        compileAndLoad: p.requireEnd - p.requireStart!,
        programRun: p.runEnd - p.runStart,
        engineAfterProgram: p.exit - p.runEnd,
        afterProgram: t1 - p.exit,
        programCpu: p.cpuMs,
        otherNodeMs: marks.filter(m => m !== p).reduce((a, m) => a + (m.exit - m.start), 0),
    };
}

/**
 * A PULUMI_HOME sharing the toolchain's plugins and credentials in which `logs` is a file: the CLI (3.259) then
 * cannot start its automatic log, a gzip-compressed JSON log of every engine event with all resource properties
 * that it otherwise writes for every command (about 30 MB per preview of this stack) under $PULUMI_HOME/logs.
 */
function pulumiHomeWithoutAutomaticLog(home: string, scratch: string): string {
    const dir = path.join(scratch, "pulumi-home-without-log");
    fs.mkdirSync(dir);
    for (const entry of fs.readdirSync(home).filter(e => e !== "logs")) {
        fs.symlinkSync(path.join(home, entry), path.join(dir, entry));
    }
    fs.writeFileSync(path.join(dir, "logs"), "a file, so that the pulumi CLI cannot write its automatic logs here\n");
    return dir;
}

const NO_LOG = "without the CLI's automatic log";
const NO_CHANGE = "no change (the config before the step)";
const FLOOR = "floor: an empty compiled program that imports both SDKs, without the CLI's automatic log";

/**
 * The floor of any `pulumi preview` on this machine: a JavaScript program (as the project's runs compiled) with the
 * project's node_modules that imports @pulumi/kubernetes and @pulumi/command and registers nothing, on its own stack.
 */
function floorPreview(scratch: string, env: NodeJS.ProcessEnv): { ms: number } {
    const dir = path.join(scratch, "floor");
    referenceProject(dir, path.join(__dirname, "..", "node_modules"), 0);
    const fenv = { ...env, PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}` };
    run("pulumi", ["stack", "init", "floor", "--non-interactive", "--cwd", dir], fenv);
    // One untimed run warms the caches as the project's previews are warm.
    run("pulumi", ["preview", "--non-interactive", "--cwd", dir], fenv);
    return { ms: timed(() => run("pulumi", ["preview", "--non-interactive", "--cwd", dir], fenv)).ms };
}

/**
 * The variants of figure A's preview that attribute its time: [name, environment, extra arguments, and a change of
 * the project made before the preview, which returns its undo].
 */
function previewVariants(noLogHome: string, projectDir: string): [string, NodeJS.ProcessEnv, string[], (() => () => void)?][] {
    const moved = (from: string, to: string) => () => {
        fs.renameSync(path.join(projectDir, from), path.join(projectDir, to));
        return () => {
            // The preview may have written a new one in its place (a render): the kept one goes back.
            fs.rmSync(path.join(projectDir, from), { recursive: true, force: true });
            fs.renameSync(path.join(projectDir, to), path.join(projectDir, from));
        };
    };
    return [
        ["the sources through ts-node (bin/ not built from them: main.js falls back)", {}, [], moved(STAMP, `${STAMP}.away`)],
        ["the CRDs rendered again (no remembered render: as the first preview of a new version)", {}, [], moved(RENDERS, `${RENDERS}.away`)],
        [NO_LOG, { PULUMI_HOME: noLogHome }, []],
        ["--policy-pack ./policies (as in a pipeline)", {}, ["--policy-pack", path.join(projectDir, "policies")]],
    ];
}

// ---------------------------------------------------------------------------------------------------------------
// Pods and workloads of the application namespaces, before and after a step.

interface Snapshot {
    /** namespace -> uids of its live (not terminating) pods */
    pods: Map<string, Set<string>>;
    /** "ns/deployment" -> its pod template's restartedAt annotation and generation */
    workloads: Map<string, string>;
}

/** kubectl get <kind> -A -o json, parsed (hundreds of objects: more than LocalCluster.json's default 1 MB buffer). */
function listAll(cluster: LocalCluster, kind: string): any[] {
    return JSON.parse(run("kubectl", ["get", kind, "-A", "-o", "json"], { ...cluster.env, KUBECONFIG: cluster.kubeconfig }).stdout).items;
}

function snapshot(cluster: LocalCluster, names: Set<string>): Snapshot {
    const pods = new Map<string, Set<string>>([...names].map(n => [n, new Set<string>()]));
    for (const p of listAll(cluster, "pods")) {
        if (names.has(p.metadata.namespace) && !p.metadata.deletionTimestamp) {
            pods.get(p.metadata.namespace)!.add(p.metadata.uid);
        }
    }
    const workloads = new Map<string, string>();
    for (const kind of ["deployments", "statefulsets", "daemonsets"]) {
        for (const w of listAll(cluster, kind)) {
            if (names.has(w.metadata.namespace)) {
                workloads.set(`${w.metadata.namespace}/${kind}/${w.metadata.name}`,
                    `${w.spec.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"] ?? ""}@${w.metadata.generation}`);
            }
        }
    }
    return { pods, workloads };
}

/** Waits until every Deployment of the application namespaces has all its replicas updated and ready. */
function waitSettled(cluster: LocalCluster, names: Set<string>, timeoutMs = 600_000): void {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const pending = listAll(cluster, "deployments").filter((d: any) => names.has(d.metadata.namespace) && !(
            d.status?.observedGeneration >= d.metadata.generation && d.status?.readyReplicas === d.spec.replicas &&
            d.status?.updatedReplicas === d.spec.replicas && (d.status?.replicas ?? 0) === d.spec.replicas));
        if (pending.length === 0) {
            return;
        }
        if (Date.now() > deadline) {
            throw new Error(`${pending.length} deployments not ready, e.g. ${pending[0].metadata.namespace}/${pending[0].metadata.name}`);
        }
        sleep(2000);
    }
}

export interface StepDisruption {
    step: string;
    upMs: number;
    /** Namespaces in upgradePlan.namespacesMoving whose workloads must restart (revision or version changes). */
    moved: number;
    /** Of those, label-only moves (no restart expected). */
    movedLabelOnly: number;
    workloadsInMoved: number;
    workloadsRestartedInMoved: number;
    podsInMovedBefore: number;
    podsReplacedInMoved: number;
    namespacesChangedOutside: string[];
    workloadsRestartedOutside: number;
    podsReplacedOutside: number;
}

function compare(step: string, upMs: number, before: Snapshot, after: Snapshot, moving: { name: string; from?: Binding; to?: Binding }[]): StepDisruption {
    const restarting = new Set(moving.filter(m => m.to && needsRestart(m.from, m.to)).map(m => m.name));
    const ns = (key: string) => key.split("/")[0];
    const restarted = [...before.workloads].filter(([k, v]) => after.workloads.get(k) !== v).map(([k]) => k);
    const replaced = (n: string) => [...before.pods.get(n)!].filter(uid => !after.pods.get(n)?.has(uid)).length;
    const changed = (n: string) => replaced(n) > 0 || [...after.pods.get(n)!].some(uid => !before.pods.get(n)!.has(uid));
    const outside = [...before.pods.keys()].filter(n => !restarting.has(n));
    return {
        step, upMs,
        moved: restarting.size,
        movedLabelOnly: moving.length - restarting.size,
        workloadsInMoved: [...before.workloads.keys()].filter(k => restarting.has(ns(k))).length,
        workloadsRestartedInMoved: restarted.filter(k => restarting.has(ns(k))).length,
        podsInMovedBefore: [...restarting].reduce((a, n) => a + (before.pods.get(n)?.size ?? 0), 0),
        podsReplacedInMoved: [...restarting].reduce((a, n) => a + replaced(n), 0),
        namespacesChangedOutside: outside.filter(changed),
        workloadsRestartedOutside: restarted.filter(k => !restarting.has(ns(k))).length,
        podsReplacedOutside: outside.reduce((a, n) => a + replaced(n), 0),
    };
}

// ---------------------------------------------------------------------------------------------------------------

export interface PreviewBenchResult { lines: string[]; json: Record<string, unknown> }

export function runPreviewBench(): PreviewBenchResult {
    const started = Date.now();
    const loadAtStart = machineLoad();
    const env = toolchainEnv();
    const [OLD, NEW] = [env.ISTIO_MESH_ISTIO_OLD!, env.ISTIO_MESH_ISTIO_NEW!];
    const [oldRev, newRev] = [OLD, NEW].map(v => v.split(".").slice(0, 2).join("-"));
    const bin = path.join(env.ISTIO_MESH_TOOLCHAIN!, "bin");
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-bench-preview-"));
    const hook = path.join(scratch, "timing-hook.js");
    fs.writeFileSync(hook, HOOK);
    const noLogHome = pulumiHomeWithoutAutomaticLog(env.PULUMI_HOME!, scratch);
    const names = Array.from({ length: NAMESPACES }, (_, i) => `app-${String(i).padStart(3, "0")}`);
    const nameSet = new Set(names);
    // Every (NAMESPACES / MOVE / 2)th namespace moves in the first move, the ones after them in the second (spread over
    // the cluster, as a team would pick them); the default tag moves the rest.
    const stride = Math.max(2, Math.floor(NAMESPACES / MOVE));
    const moving = names.filter((_, i) => i % stride === 0).slice(0, MOVE);
    const movingSet = new Set(moving);
    const moving5 = names.filter((_, i) => i % stride === 1).slice(0, MOVE);
    const moving5Set = new Set(moving5);
    // Namespaces the stack does not bind, moved by the runbook's loop: 2 x MOVE, labelled with the old revision.
    const manual = Array.from({ length: 2 * MOVE }, (_, i) => `manual-${String(i).padStart(3, "0")}`);
    const phases: Record<string, number> = {};
    const seenLoad: { loadavg: number[]; others: string[] }[] = [loadAtStart];
    let cluster: LocalCluster | undefined;
    const phase = <T>(name: string, fn: () => T): T => {
        seenLoad.push(machineLoad(cluster?.dir));
        log(`${name}...`);
        const r = timed(fn);
        phases[name] = r.ms;
        log(`${name}: ${sec(r.ms)} s`);
        return r.value;
    };

    let project: LocalProject | undefined;
    try {
        cluster = phase(`start KWOK cluster (${NODES} nodes)`, () => LocalCluster.start({ ...env, CLUSTER_NODES: String(NODES) }));
        const c = cluster;
        const kenv = { ...c.env, KUBECONFIG: c.kubeconfig };
        phase(`create ${NAMESPACES} namespaces and ${manual.length} unbound ones with one Deployment each`, () => {
            for (let i = 0; i < names.length; i += 50) {
                c.apply(names.slice(i, i + 50).flatMap(n => appNamespace(n, ["web"])));
            }
            c.apply(manual.flatMap(n => appNamespace(n, ["web"]).map((o: any) => o.kind === "Namespace"
                ? { ...o, metadata: { name: n, labels: { "istio.io/rev": oldRev } } } : o)));
            waitSettled(c, new Set([...names, ...manual]));
        });
        project = LocalProject.create("bench", env);
        const p = project;
        const config = (revisions: string[], defaultTag: string, moved: ReadonlySet<string> = new Set(), parallel = 1): RawConfig => ({
            kubernetesVersion: "1.34",
            registry: { hub: HUB },
            charts: { localDir: `${env.ISTIO_MESH_CHARTS}/{version}` },
            kubernetes: { kubeconfig: c.kubeconfig },
            restartTimeout: "5m",
            rollout: { parallelNamespaces: parallel },
            revisions: revisions.map(version => ({ version })),
            tags: { default: defaultTag },
            namespaces: Object.fromEntries(names.map(n => [n, moved.has(n) ? newRev : "default"])),
        });
        // The steps outside the figures restart SETUP_PARALLEL namespaces at a time (the first `up` restarts all 200).
        const steps = {
            adopt: config([OLD], oldRev, new Set(), SETUP_PARALLEL),
            start: config([OLD], oldRev),
            canary: config([OLD, NEW], oldRev),
            move: config([OLD, NEW], oldRev, movingSet),
            move5: config([OLD, NEW], oldRev, new Set([...moving, ...moving5]), 5),
            tag: config([OLD, NEW], newRev, nameSet, SETUP_PARALLEL),
            retire: config([NEW], newRev, nameSet, SETUP_PARALLEL),
        };

        const timingFile = path.join(scratch, "timing.jsonl");
        const penv = { ...p.env, NODE_OPTIONS: `${p.env.NODE_OPTIONS ?? ""} --require ${hook}`.trim(), BENCH_TIMING_FILE: timingFile, BENCH_PROJECT_DIR: p.dir };
        const preview = (extraEnv: NodeJS.ProcessEnv = {}, ...args: string[]): { ms: number; breakdown?: PreviewBreakdown; changes: number } => {
            fs.rmSync(timingFile, { force: true });
            const t0 = Date.now();
            const r = spawnSync("pulumi", ["preview", "--non-interactive", ...args], { cwd: p.dir, env: { ...penv, ...extraEnv }, encoding: "utf8", maxBuffer: 1 << 28 });
            const t1 = Date.now();
            if (r.status !== 0) {
                throw new Error(`pulumi preview failed (${r.status}):\n${(r.stdout ?? "").slice(-3000)}\n${(r.stderr ?? "").slice(-3000)}`);
            }
            const marks: NodeMarks[] = fs.existsSync(timingFile)
                ? fs.readFileSync(timingFile, "utf8").split("\n").filter(Boolean).map(l => JSON.parse(l)) : [];
            const m = /Resources:\s*\n((?:\s+.*\n)+)/.exec(r.stdout ?? "");
            const changes = m ? [...m[1].matchAll(/(\d+) to (create|update|delete|replace)/g)].reduce((a, x) => a + Number(x[1]), 0) : -1;
            return { ms: t1 - t0, breakdown: breakdown(t0, t1, marks), changes };
        };
        // `pulumi up --yes --skip-preview` (a pipeline applying a reviewed preview), timed from the command's start to its end.
        const upTimed = (cfg: RawConfig, extraEnv: NodeJS.ProcessEnv = {}): number => {
            p.setConfig(cfg);
            return timed(() => run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--cwd", p.dir], { ...p.env, ...extraEnv })).ms;
        };
        const up = (label: string, cfg: RawConfig): number => phase(label, () => upTimed(cfg));
        // The plan is not a stack output (program.ts stackOutputs): it follows from the recorded states around the up.
        // All outputs, then meshState: asking for the one key fails on a stack that has none yet (before the first up).
        const meshState = (): MeshState | undefined => (JSON.parse(p.mustPulumi("stack", "output", "--json").stdout || "{}") ?? {}).meshState;

        const disruption: StepDisruption[] = [];
        const applyStep = (label: string, cfg: RawConfig): StepDisruption => {
            const before = snapshot(c, nameSet);
            const stateBefore = meshState();
            const ms = up(`pulumi up: ${label}`, cfg);
            waitSettled(c, nameSet);
            const after = snapshot(c, nameSet);
            const stateAfter = meshState();
            const moving = stateAfter ? [...planUpgrade(stateBefore, { state: stateAfter }).namespacesMoving] : [];
            const d = compare(label, ms, before, after, moving);
            log(`  moved ${d.moved}, restarted in them ${d.workloadsRestartedInMoved} of ${d.workloadsInMoved}, restarted outside ${d.workloadsRestartedOutside}, pods replaced outside ${d.podsReplacedOutside}`);
            return d;
        };

        // The starting state: one revision, the default tag on it, every namespace following the tag. Not a
        // canary step (the program adopts namespaces labelled by hand), but its restarts are recorded too.
        const adoption = applyStep(`adopt: ${OLD} as ${oldRev}, ${NAMESPACES} namespaces on the default tag (first up, ${SETUP_PARALLEL} at a time; not a canary step)`, steps.adopt);
        // The figures' steps restart one namespace at a time (the default): the restart step's setting, before them.
        up("pulumi up: rollout.parallelNamespaces back to 1", steps.start);
        const resourceCount = p.stateResources().length;

        const settled: Record<string, { ms: number; busy: number }> = {};
        const settle = (figure: string, maxMs?: number) => {
            settled[figure] = waitQuiet(maxMs);
            log(`  before ${figure}: machine quiet (${(settled[figure].busy * 100).toFixed(0)} % of the cores busy) after ${sec(settled[figure].ms)} s`);
        };

        // A figure that fails is reported as such with its reason; the run goes on with the next.
        const failed: Record<string, string> = {};
        const attempt = <T>(figure: string, fn: () => T): T | undefined => {
            try {
                return fn();
            } catch (e) {
                failed[figure] = String((e as Error).message ?? e).split("\n").slice(0, 12).join(" / ").slice(0, 1500);
                log(`  figure ${figure} FAILED: ${failed[figure]}`);
                return undefined;
            }
        };

        // ---- Figure A: the preview of "add a canary revision". ----
        settle("figure A", 120_000);
        p.setConfig(steps.canary);
        const manifest = path.join(scratch, `istiod-${newRev}.yaml`);
        // The same overlay the program's istioctl renderer gives istioctl.
        const overlay = overlayText(istioctlOverlay("pilot", "istio-system",
            istiodValues({ version: NEW, revision: newRev, istioNamespace: "istio-system", images: { hub: HUB } })));
        const baselineA = () => timed(() => {
            const g = run(path.join(bin, `istioctl-${NEW}`), ["manifest", "generate", "-f", "-"], kenv, [0], overlay);
            fs.writeFileSync(manifest, g.stdout);
            // kubectl diff exits 1 when there are differences: that is success here.
            return run("kubectl", ["diff", "--server-side", "-f", manifest], kenv, [0, 1]).stdout;
        });
        // The preview also shows the CRD upgrade (the base chart follows the newest revision); the baseline above
        // renders the revision only, as the issue asks. This one adds the base render (CRDs) to the same diff.
        // --force-conflicts: the live CRDs are owned by the program's field manager (pulumi-kubernetes).
        const baseManifest = path.join(scratch, "base.yaml");
        const baseOverlay = overlayText(istioctlOverlay("base", "istio-system", baseValues({ istioNamespace: "istio-system", defaultRevision: oldRev })));
        const baselineAWithCrds = () => timed(() => {
            const g = run(path.join(bin, `istioctl-${NEW}`), ["manifest", "generate", "-f", "-"], kenv, [0], overlay);
            fs.writeFileSync(manifest, g.stdout);
            const base = run(path.join(bin, `istioctl-${NEW}`), ["manifest", "generate", "-f", "-"], kenv, [0], baseOverlay);
            fs.writeFileSync(baseManifest, base.stdout);
            return run("kubectl", ["diff", "--server-side", "--force-conflicts", "-f", manifest, "-f", baseManifest], kenv, [0, 1]).stdout;
        });
        const a = { first: 0, preview: [] as number[], breakdowns: [] as PreviewBreakdown[], baseline: [] as number[], baselineWithCrds: [] as number[], changes: -1, baselineObjects: 0, baselineDiffLines: 0 };
        phase(`figure A: ${RUNS} x (pulumi preview, istioctl manifest generate + kubectl diff --server-side)`, () => {
            // The preview is warm from the `up` before it; one untimed baseline run warms istioctl and kubectl alike.
            baselineA();
            // The step's first preview renders the new version's CRDs; the previews after it reuse that render
            // (components/crdFiles.ts), as a reviewer's later previews and the `up` do. Reported apart.
            a.first = preview().ms;
            log(`  A first preview: ${sec(a.first)} s`);
            for (let i = 0; i < RUNS; i++) {
                const pr = preview();
                a.preview.push(pr.ms);
                a.changes = pr.changes;
                if (pr.breakdown) a.breakdowns.push(pr.breakdown);
                const b = baselineA();
                a.baseline.push(b.ms);
                a.baselineDiffLines = b.value.split("\n").length;
                a.baselineWithCrds.push(baselineAWithCrds().ms);
                log(`  A run ${i + 1}: preview ${sec(pr.ms)} s, baseline ${sec(b.ms)} s, baseline with the CRDs ${sec(a.baselineWithCrds[i])} s`);
            }
            a.baselineObjects = (fs.readFileSync(manifest, "utf8").match(/^kind:/gm) ?? []).length;
        });
        // Variants that say where the preview's time goes (one run each).
        const variantsA: Record<string, { ms: number; breakdown?: PreviewBreakdown }> = {};
        phase("figure A variants", () => {
            for (const [name, extraEnv, args, prepare] of previewVariants(noLogHome, p.dir)) {
                const undo = prepare?.();
                try {
                    variantsA[name] = preview(extraEnv, ...args);
                } finally {
                    undo?.();
                }
                log(`  ${name}: ${sec(variantsA[name].ms)} s`);
            }
            // Two reference points: the same stack with nothing to change, and the floor of any preview here.
            p.setConfig(steps.start);
            variantsA[NO_CHANGE] = preview();
            variantsA[`${NO_CHANGE}, ${NO_LOG}`] = preview({ PULUMI_HOME: noLogHome });
            p.setConfig(steps.canary);
            variantsA[FLOOR] = floorPreview(scratch, { ...p.env, PULUMI_HOME: noLogHome });
            [NO_CHANGE, `${NO_CHANGE}, ${NO_LOG}`, FLOOR].forEach(name => log(`  ${name}: ${sec(variantsA[name].ms)} s`));
        });

        // ---- Figure UP-A: `pulumi up` of "add a canary revision" against the manual install of the revision. ----
        // The manual path renders what `helm upgrade --install --wait` of base and istiod (or `istioctl install
        // --revision`) installs, the base's CRDs and the revision's istiod, applies both server-side and waits for istiod.
        // (istioctl install itself would also take over the base chart's other objects, which the stack owns.) Undone with
        // `kubectl delete` of the revision's objects; the `up` is undone by an `up` of the config before it.
        const crdsManifest = path.join(scratch, "crds.yaml");
        const CRD = ["CustomResourceDefinition"];
        const manualInstall = () => timed(() => {
            const g = run(path.join(bin, `istioctl-${NEW}`), ["manifest", "generate", "-f", "-"], kenv, [0], overlay);
            fs.writeFileSync(manifest, g.stdout);
            const base = run(path.join(bin, `istioctl-${NEW}`), ["manifest", "generate", "-f", "-"], kenv, [0], baseOverlay);
            fs.writeFileSync(crdsManifest, objectsOf(base.stdout, CRD));
            run("kubectl", ["apply", "--server-side", "--force-conflicts", "-f", crdsManifest], kenv);
            run("kubectl", ["wait", "--for=condition=Established", "--timeout=2m", "-f", crdsManifest], kenv);
            run("kubectl", ["apply", "--server-side", "-f", manifest], kenv);
            run("kubectl", ["-n", "istio-system", "rollout", "status", `deployment/istiod-${newRev}`, "--timeout=5m"], kenv);
        }).ms;
        // Undone: the revision's objects deleted (never a Namespace), the CRDs of the old version applied again (as the
        // stack's own `crds` step applies them: each `up` of the canary then upgrades them, as the manual path did).
        const manualUninstall = () => {
            const objects = path.join(scratch, "revision-objects.yaml");
            fs.writeFileSync(objects, objectsOf(fs.readFileSync(manifest, "utf8"), ["Namespace", ...CRD], true));
            run("kubectl", ["delete", "--wait=true", "--ignore-not-found", "-f", objects], kenv);
            const base = run(path.join(bin, `istioctl-${OLD}`), ["manifest", "generate", "-f", "-"], kenv, [0], baseOverlay);
            fs.writeFileSync(crdsManifest, objectsOf(base.stdout, CRD));
            run("kubectl", ["apply", "--server-side", "--force-conflicts", "--field-manager=istio-mesh", "-f", crdsManifest], kenv);
        };
        const upA = { up: [] as number[], manual: [] as number[] };
        let canaryDisruption: StepDisruption | undefined;
        attempt("2", () => phase(`figure UP-A: ${UP_RUNS} x (manual install of ${newRev} and its removal, pulumi up of the canary and of the config before it)`, () => {
            for (let i = 0; i < UP_RUNS; i++) {
                settle(`UP-A run ${i + 1}`, 20_000);
                upA.manual.push(manualInstall());
                manualUninstall();
                settle(`UP-A run ${i + 1}, the up`, 20_000);
                if (i + 1 < UP_RUNS) {
                    upA.up.push(upTimed(steps.canary));
                    // Back to one revision (the CRDs stay at the new version, as the manual path leaves them).
                    upTimed(steps.start, { ISTIO_MESH_ALLOW_CRD_DOWNGRADE: "1" });
                } else {
                    // The last one is also the canary step of the disruption table.
                    canaryDisruption = applyStep(`install ${newRev} alongside ${oldRev}`, steps.canary);
                    upA.up.push(canaryDisruption.upMs);
                }
                log(`  UP-A run ${i + 1}: pulumi up ${sec(upA.up[i])} s, manual install ${sec(upA.manual[i])} s`);
            }
        }));
        // The rest needs the canary installed, whatever happened above.
        disruption.push(canaryDisruption ?? applyStep(`install ${newRev} alongside ${oldRev}`, steps.canary));

        // ---- Figure B: the preview of "move 50 namespaces". ----
        settle("figure B", 120_000);
        p.setConfig(steps.move);
        const label = (args: string[]) => run("kubectl", ["label", ...args], kenv);
        const revert = () => label(["namespace", ...moving, `istio.io/rev=default`, "--overwrite"]);
        let variantB: { name: string; ms: number; breakdown?: PreviewBreakdown } | undefined;
        const b = { preview: [] as number[], breakdowns: [] as PreviewBreakdown[], runbook: [] as number[], perNamespace: [] as number[], single: [] as number[], changes: -1 };
        phase(`figure B: ${RUNS} x (pulumi preview, kubectl relabel of ${moving.length} namespaces three ways)`, () => {
            for (let i = 0; i < RUNS; i++) {
                const pr = preview();
                b.preview.push(pr.ms);
                b.changes = pr.changes;
                if (pr.breakdown) b.breakdowns.push(pr.breakdown);
                // The runbook's loop: two kubectl calls per namespace.
                b.runbook.push(timed(() => moving.forEach(n => {
                    label(["namespace", n, "istio-injection-", "--overwrite"]);
                    label(["namespace", n, `istio.io/rev=${newRev}`, "--overwrite"]);
                })).ms);
                revert();
                b.perNamespace.push(timed(() => moving.forEach(n => label(["namespace", n, "istio-injection-", `istio.io/rev=${newRev}`, "--overwrite"]))).ms);
                revert();
                b.single.push(timed(() => label(["namespace", ...moving, "istio-injection-", `istio.io/rev=${newRev}`, "--overwrite"])).ms);
                revert();
                log(`  B run ${i + 1}: preview ${sec(pr.ms)} s, runbook loop ${sec(b.runbook[i])} s, one call per namespace ${sec(b.perNamespace[i])} s, one call ${sec(b.single[i])} s`);
            }
            const [name, extraEnv] = previewVariants(noLogHome, p.dir).find(v => v[0] === NO_LOG)!;
            variantB = { name, ...preview(extraEnv) };
            log(`  ${name}: ${sec(variantB.ms)} s`);
        });

        // ---- Figure UP-B: `pulumi up` of "move 50 namespaces" against the runbook's loop, at parallelism 1 and 5. ----
        // The runbook moves namespaces the stack does not bind (the same Deployments), so neither path sees the other's.
        const runbook = (namespaces: string[], parallel: number) => timed(() =>
            run("bash", ["-c", runbookScript(newRev, parallel)], kenv, [0], namespaces.join("\n") + "\n")).ms;
        const upB: { parallel: number; up: number; runbook: number }[] = [];
        for (const [parallel, cfg, set, manualSet] of [[1, steps.move, moving, manual.slice(0, MOVE)], [5, steps.move5, moving5, manual.slice(MOVE)]] as const) {
            settle(`UP-B at parallelism ${parallel}, the runbook`, 30_000);
            const ms = attempt(`3 at parallelism ${parallel}`, () =>
                phase(`figure UP-B: the runbook's loop over ${manualSet.length} namespaces, ${parallel} at a time`, () => runbook([...manualSet], parallel)));
            settle(`UP-B at parallelism ${parallel}, the up`, 30_000);
            const d = applyStep(`move ${set.length} namespaces to ${newRev}${parallel > 1 ? `, ${parallel} at a time (rollout.parallelNamespaces)` : ""}`, cfg);
            disruption.push(d);
            if (ms !== undefined) {
                upB.push({ parallel, up: d.upMs, runbook: ms });
                log(`  UP-B parallelism ${parallel}: pulumi up ${sec(d.upMs)} s, runbook ${sec(ms)} s`);
            }
        }

        // ---- Figure UP-0: a re-run (`pulumi up` with nothing to do) against the re-run of an empty program of as many resources. ----
        const reference = path.join(scratch, "reference");
        referenceProject(reference, path.join(__dirname, "..", "node_modules"), resourceCount);
        const renv = { ...p.env, PULUMI_BACKEND_URL: `file://${path.join(reference, ".state")}` };
        const rerun = { up: [] as number[], reference: [] as number[], changes: -1 };
        attempt("4", () => phase(`figure UP-0: ${RUNS} x (pulumi up with nothing to do, the same of a program of ${resourceCount} empty components (the CLI and the engine alone))`, () => {
            run("pulumi", ["stack", "init", "reference", "--non-interactive", "--cwd", reference], renv);
            run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--cwd", reference], renv);
            settle("figure UP-0", 30_000);
            for (let i = 0; i < RUNS; i++) {
                const r = timed(() => run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--cwd", p.dir], p.env));
                rerun.up.push(r.ms);
                const m = /Resources:\s*\n((?:\s+.*\n)+)/.exec(r.value.stdout);
                rerun.changes = m ? [...m[1].matchAll(/(\d+) (created|updated|deleted|replaced)/g)].reduce((acc, x) => acc + Number(x[1]), 0) : -1;
                rerun.reference.push(timed(() => run("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive", "--cwd", reference], renv)).ms);
                log(`  UP-0 run ${i + 1}: pulumi up with nothing to do ${sec(rerun.up[i])} s, the reference program's ${sec(rerun.reference[i])} s`);
            }
        }));

        // ---- Disruption: the rest of the upgrade. ----
        disruption.push(applyStep(`move the default tag to ${newRev} (the other ${NAMESPACES - 2 * MOVE} namespaces, ${SETUP_PARALLEL} at a time)`, steps.tag));
        disruption.push(applyStep(`retire ${oldRev}`, steps.retire));

        // ---- Figure H: what grows per preview (the CLI's automatic logs, the project's caches, the backend). ----
        const logsDir = path.join(env.PULUMI_HOME!, "logs");
        const caches = () => ({ logs: diskUse(logsDir), project: diskUse(path.join(p.dir, ".istio-mesh")), backend: diskUse(path.join(p.dir, ".state")) });
        const hygiene = { previews: HYGIENE_PREVIEWS, before: caches(), after: caches(), written: 0, largestLog: 0, maxLogsBytes: 0 };
        attempt("6", () => phase(`figure H: ${HYGIENE_PREVIEWS} previews of the last step, the caches measured`, () => {
            p.setConfig(steps.retire);
            hygiene.before = caches();
            for (let i = 0; i < HYGIENE_PREVIEWS; i++) {
                const known = new Set(fs.existsSync(logsDir) ? fs.readdirSync(logsDir) : []);
                preview();
                for (const f of fs.readdirSync(logsDir).filter(f => !known.has(f))) {
                    const size = fs.statSync(path.join(logsDir, f)).size;
                    hygiene.written += size;
                    hygiene.largestLog = Math.max(hygiene.largestLog, size);
                }
                hygiene.maxLogsBytes = Math.max(hygiene.maxLogsBytes, diskUse(logsDir).bytes);
            }
            hygiene.after = caches();
        }));

        // ---- Report. ----
        const loadAtEnd = machineLoad(c.dir);
        seenLoad.push(loadAtEnd);
        const othersSeen = [...new Set(seenLoad.flatMap(l => l.others))];
        const totalMs = Date.now() - started;
        const A = { preview: stat(a.preview), baseline: stat(a.baseline), baselineWithCrds: stat(a.baselineWithCrds) };
        const B = { preview: stat(b.preview), runbook: stat(b.runbook), perNamespace: stat(b.perNamespace), single: stat(b.single) };
        const ratioA = A.preview.median / A.baselineWithCrds.median;
        const ratioB = B.preview.median / B.runbook.median;
        const ratioAFirst = a.first / A.baselineWithCrds.median;
        const UA = { up: stat(upA.up), manual: stat(upA.manual) };
        const ratioUpA = UA.up.median / UA.manual.median;
        const R0 = { up: stat(rerun.up), reference: stat(rerun.reference) };
        const ratioRerun = R0.up.median / R0.reference.median;
        const medianBreakdown = (bs: PreviewBreakdown[]): PreviewBreakdown | undefined => bs.length === 0 ? undefined
            : Object.fromEntries(Object.keys(bs[0]).map(k => [k, stat(bs.map(x => (x as any)[k])).median])) as unknown as PreviewBreakdown;
        const bdA = medianBreakdown(a.breakdowns);
        const bdB = medianBreakdown(b.breakdowns);
        const bdRow = (label: string, key: keyof PreviewBreakdown, note: string) =>
            `| ${label} | ${bdA ? sec(bdA[key]) : "n/a"} | ${bdB ? sec(bdB[key]) : "n/a"} | ${note} |`;
        const variantRow = (name: string) => {
            const v = variantsA[name];
            const d = v.breakdown;
            return `| ${name} | ${sec(v.ms)} s | ${(v.ms / A.baselineWithCrds.median).toFixed(1)}x | ${d ? sec(d.compileAndLoad) : "n/a"} | ${d ? sec(d.engineAfterProgram) : "n/a"} | ${d ? sec(d.otherNodeMs) : "n/a"} |`;
        };
        const verdict = (ratio: number, target: number) => `${ratio.toFixed(2)}x, target <= ${target}x: ${ratio <= target ? "MET" : "MISSED"}`;
        // Our own cluster and pulumi runs load the machine too; "under load" means someone else's work ran beside them.
        const underLoad = othersSeen.length > 0;
        const deviations = [
            NAMESPACES !== 200 ? `${NAMESPACES} namespaces instead of 200` : "",
            MOVE !== 50 ? `${MOVE} namespaces moved instead of 50` : "",
            HYGIENE_PREVIEWS !== 100 ? `${HYGIENE_PREVIEWS} previews instead of 100 for the caches` : "",
        ].filter(Boolean);
        const okDisruption = disruption.every(d => d.workloadsRestartedOutside === 0 && d.podsReplacedOutside === 0 &&
            d.workloadsRestartedInMoved === d.workloadsInMoved);
        const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
        const logBound = Number(env.PULUMI_LOG_ROTATION_MAX_TOTAL_MB ?? 500) * 1024 * 1024;
        const hygieneOk = hygiene.after.logs.bytes <= logBound + hygiene.largestLog && hygiene.after.project.bytes <= PROJECT_CACHE_BOUND;

        const lines = [
            `### Real engine on a local KWOK cluster: ${NAMESPACES} namespaces (one Deployment, 2 replicas each), ${resourceCount} resources in the stack`,
            ...(deviations.length ? [`NOTE: reduced run: ${deviations.join("; ")}`] : []),
            "",
            `| figure | istio-mesh, median (min-max) | manual baseline, median (min-max) | ratio and target |`,
            `|---|---:|---:|---|`,
            `| 1. preview of "add a canary revision" (${newRev}), ${RUNS} runs | ${fmt(A.preview)} | ${fmt(A.baselineWithCrds)}: istioctl manifest generate of the revision and of the base chart's CRDs + kubectl diff --server-side of both | ${verdict(ratioA, TARGETS.previewCanary)} |`,
            `| 1. its first preview (renders the ${NEW} CRDs; the runs above reuse that render), one run | ${sec(a.first)} s | the same | ${verdict(ratioAFirst, TARGETS.previewCanaryFirst)} |`,
            failed["2"] ? `| 2. \`pulumi up\` of "add a canary revision" | FAILED: ${failed["2"]} | | |`
                : `| 2. \`pulumi up\` of "add a canary revision", ${UP_RUNS} runs | ${fmt(UA.up)} | ${fmt(UA.manual)}: the base's CRDs and istiod ${newRev} rendered by istioctl, kubectl apply --server-side, wait for the CRDs and \`kubectl rollout status\` of istiod | ${verdict(ratioUpA, TARGETS.upCanary)} |`,
            ...upB.map(u => `| 3. \`pulumi up\` of "move ${MOVE} namespaces", ${u.parallel} at a time, one run | ${sec(u.up)} s | ${sec(u.runbook)} s: the runbook's loop (2 label calls, rollout restart, rollout status of each Deployment) over ${MOVE} namespaces, ${u.parallel} at a time | ${verdict(u.up / u.runbook, TARGETS.upMove)} |`),
            ...Object.entries(failed).filter(([k]) => k.startsWith("3 ")).map(([k, v]) => `| ${k.replace("3 at", "3. `pulumi up` of a move, the runbook at")} | FAILED: ${v} | | |`),
            failed["4"] ? `| 4. \`pulumi up\` with nothing to do | FAILED: ${failed["4"]} | | |` : `| 4. \`pulumi up\` with nothing to do, ${RUNS} runs | ${fmt(R0.up)} | ${fmt(R0.reference)}: \`pulumi up\` with nothing to do of a program of ${resourceCount} empty components (the CLI and the engine alone) | ${verdict(ratioRerun, TARGETS.rerun)} |`,
            `| (round one) preview of "move ${moving.length} namespaces", ${RUNS} runs | ${fmt(B.preview)} | ${fmt(B.runbook)}: the runbook's 2 kubectl label calls per namespace | ${verdict(ratioB, TARGETS.previewMove)} |`,
            "",
            `Every \`up\` is \`pulumi up --yes --skip-preview\` (a pipeline applying a reviewed preview), timed from the command's start to its end (istiod ready: the provider awaits its Deployment).`,
            `Changes reported by the re-run: ${rerun.changes}. Preview changes reported: A ${a.changes}, B ${b.changes}.`,
            `A against the revision's objects alone (no CRDs; the preview also upgrades the CRDs): ${fmt(A.baseline)}, ratio ${(A.preview.median / A.baseline.median).toFixed(2)}x.`,
            `B without the CLI's automatic log (one run): ${variantB ? `${sec(variantB.ms)} s, ${(variantB.ms / B.runbook.median).toFixed(2)}x the runbook loop` : "n/a"}. ` +
            `Other baselines for B: one kubectl label call per namespace ${fmt(B.perNamespace)}; one call for all ${fmt(B.single)}.`,
            "",
            `6. Caches after ${HYGIENE_PREVIEWS} previews of the stack (${Object.keys(steps.retire.namespaces as object).length} namespaces):`,
            "",
            "| cache | before | after | bound |",
            "|---|---:|---:|---|",
            `| the CLI's automatic logs (${logsDir}) | ${mb(hygiene.before.logs.bytes)} (${hygiene.before.logs.files} files) | ${mb(hygiene.after.logs.bytes)} (${hygiene.after.logs.files} files; at most ${mb(hygiene.maxLogsBytes)} during the run) | ${mb(logBound)} + one command's log (PULUMI_LOG_ROTATION_MAX_TOTAL_MB; the CLI deletes the oldest at each start): the previews wrote ${mb(hygiene.written)}, ${mb(hygiene.largestLog)} the largest |`,
            `| the project's .istio-mesh/ | ${mb(hygiene.before.project.bytes)} (${hygiene.before.project.files} files) | ${mb(hygiene.after.project.bytes)} (${hygiene.after.project.files} files) | ${mb(PROJECT_CACHE_BOUND)}: ${KEPT_RENDERS} renders and the bundles they name (components/crdFiles.ts) |`,
            `| the file backend (.state: checkpoint, history and backups of each \`up\`) | ${mb(hygiene.before.backend.bytes)} (${hygiene.before.backend.files} files) | ${mb(hygiene.after.backend.bytes)} (${hygiene.after.backend.files} files) | a preview writes none (pulumi's diy backend writes history and a backup per \`up\`) |`,
            "",
            failed["6"] ? `target: the caches stay under their bound: FAILED: ${failed["6"]}` : `target: the caches stay under their bound: ${hygieneOk ? "MET" : "MISSED"}`,
            "",
            "Where a preview's time goes (median of the timed runs, seconds):",
            "",
            "| part | A | B | what |",
            "|---|---:|---:|---|",
            bdRow("total", "total", "wall time of `pulumi preview`"),
            bdRow("CLI until the program's node starts", "cliToProgram", "CLI start, backend and stack load, language host, plugins"),
            bdRow("node + Pulumi runner", "nodeAndRunner", "until the program (main.js) is required"),
            bdRow("load the program", "compileAndLoad", "main.js's build check, the compiled program (bin/) and the SDK modules"),
            bdRow("program function", "programRun", "config, the stack's recorded outputs read, registering every resource"),
            bdRow("engine after the program function", "engineAfterProgram", "the engine's remaining steps (chart constructs, provider check/diff) and the CLI's automatic log of them: see the variants"),
            bdRow("CLI after the program exits", "afterProgram", "summary and display"),
            bdRow("CPU of the program's node process", "programCpu", "user + system, inside the rows above"),
            bdRow("other node processes (sum)", "otherNodeMs", "the language host resolving @pulumi/pulumi"),
            "",
            "Figure A variants, one run each (seconds; ratio against the baseline's median). A single run is noisy under load: " +
            "the columns show what each change removes.",
            "",
            "| variant of the preview | total | ratio | compile and load | engine after the program function | other node processes |",
            "|---|---:|---:|---:|---:|---:|",
            `| as measured above (median) | ${sec(A.preview.median)} s | ${ratioA.toFixed(2)}x | ${bdA ? sec(bdA.compileAndLoad) : "n/a"} | ${bdA ? sec(bdA.engineAfterProgram) : "n/a"} | ${bdA ? sec(bdA.otherNodeMs) : "n/a"} |`,
            ...Object.keys(variantsA).map(variantRow),
            "",
            "Disruption: the canary steps, each applied with `pulumi up` (the first row is the first `up`, which adopts the namespaces: not a canary step). " +
            "Moved = the namespaces in upgradePlan.namespacesMoving whose revision or version changes; workloads = Deployments, StatefulSets, DaemonSets.",
            "",
            "| step | up | moved namespaces | workloads in them | restarted in them | pods replaced in them | workloads restarted outside | pods replaced outside |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            ...[adoption, ...disruption].map(d => `| ${d.step} | ${sec(d.upMs)} s | ${d.moved}${d.movedLabelOnly ? ` (+${d.movedLabelOnly} label only)` : ""} | ${d.workloadsInMoved} | ${d.workloadsRestartedInMoved} | ${d.podsReplacedInMoved} of ${d.podsInMovedBefore} | ${d.workloadsRestartedOutside} | ${d.podsReplacedOutside}${d.namespacesChangedOutside.length ? ` (${d.namespacesChangedOutside.slice(0, 5).join(", ")}${d.namespacesChangedOutside.length > 5 ? ", ..." : ""})` : ""} |`),
            "",
            `target: no restart outside the moved namespaces and every workload in them restarted: ${okDisruption ? "MET" : "MISSED"}`,
            `setup (not in the figures): the first pulumi up (adoption of ${NAMESPACES} namespaces) ${sec(adoption.upMs)} s; whole run ${sec(totalMs)} s.`,
            `each figure starts once the machine is quiet (under ${QUIET_BUSY * 100} % of the cores busy for 4 s): ` +
            Object.entries(settled).map(([k, q]) => `${k} after ${sec(q.ms)} s${q.busy >= QUIET_BUSY ? " (NOT QUIET: gave up waiting)" : ""}`).join(", ") + ".",
            `machine: ${os.cpus().length} cores, load average ${loadAtStart.loadavg[0]} before the run, ` +
            `${Math.max(...seenLoad.map(l => l.loadavg[0]))} at most during it (including its own cluster)` +
            (underLoad ? `; TAKEN UNDER LOAD${othersSeen.length ? `: also running during the run: ${othersSeen.slice(0, 4).join(" | ")}` : ""}` : "; no other heavy work seen"),
        ];
        return {
            lines,
            json: {
                machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadSamples: seenLoad, othersSeen, underLoad },
                versions: { old: OLD, new: NEW },
                namespaces: NAMESPACES, moved: moving.length, runs: RUNS, upRuns: UP_RUNS, nodes: NODES, resources: resourceCount, deviations,
                figureA: { ...A, ratio: ratioA, first: a.first, ratioFirst: ratioAFirst, breakdown: bdA, breakdowns: a.breakdowns, changes: a.changes, baselineObjects: a.baselineObjects, variants: variantsA },
                figureB: { ...B, ratio: ratioB, breakdown: bdB, breakdowns: b.breakdowns, changes: b.changes, variant: variantB },
                failed, upA: { ...UA, ratio: ratioUpA }, upB, rerun: { ...R0, ratio: ratioRerun, changes: rerun.changes }, hygiene,
                adoption, disruption, settled,
                phases, totalMs,
            },
        };
    } finally {
        project?.dispose();
        cluster?.stop();
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}

/** Writes the figures as JSON under bench/results/ (ignored by git); returns the file's path. */
export function writePreviewResults(json: Record<string, unknown>): string {
    const dir = path.join(__dirname, "results");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `preview-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, JSON.stringify(json, null, 2));
    return file;
}

if (require.main === module) {
    try {
        const r = runPreviewBench();
        console.log(r.lines.join("\n"));
        console.log(`\nwritten: ${path.relative(process.cwd(), writePreviewResults(r.json))}`);
    } catch (e) {
        console.error(`preview benchmark failed: ${String((e as Error).message ?? e).slice(0, 6000)}`);
        process.exitCode = 1;
    }
}
