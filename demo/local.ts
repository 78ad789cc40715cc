/**
 * A throwaway local setup for the main job (`npm start`) and the end-to-end test: the offline toolchain, a KWOK
 * cluster on 127.0.0.1, and a copy of this project with a local file backend, driven through the real `pulumi` CLI.
 */
import { execFileSync, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { RawConfig } from "../model/config";
import { Traffic } from "./dataplane";
import { istiodsReady, IstiodState } from "./istiods";
import { WorkloadPods } from "./proxyStatus";

export const REPO = path.join(__dirname, "..");

function tail(file: string, lines = 15): string {
    return fs.existsSync(file) ? `${file}:\n${fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n")}` : `(no ${file})`;
}
const TOOLCHAIN = path.join(REPO, "tools", "offline", "toolchain.sh");
const CLUSTER = path.join(REPO, "tools", "offline", "cluster.sh");

/**
 * Why the toolchain cannot be used, or undefined when `tools/offline/toolchain.sh --check` passes. With `needed`,
 * only missing targets whose name matches count (a test that needs no cluster does not wait for one), all listed.
 */
export function toolchainMissing(needed?: RegExp): string | undefined {
    const r = spawnSync("bash", [TOOLCHAIN, "--check"], { encoding: "utf8" });
    if (!needed) {
        return r.status === 0 ? undefined : (r.stdout + r.stderr).trim().split("\n").slice(0, 3).join("; ");
    }
    const missing = (r.stdout + r.stderr).split("\n").map(l => l.replace(/^missing: /, "")).filter(l => needed.test(l.split(" ")[0]));
    return missing.length > 0 ? missing.join("; ") : undefined;
}

/** The environment that puts the toolchain first: PATH, PULUMI_HOME, no plugin downloads, chart and Istio versions. */
export function toolchainEnv(): NodeJS.ProcessEnv {
    // Let bash evaluate the export lines, exactly as `eval "$(tools/offline/toolchain.sh --env)"` does for a user.
    const out = execFileSync("bash", ["-c", `eval "$(bash '${TOOLCHAIN}' --env)" && node -e 'process.stdout.write(JSON.stringify(process.env))'`],
        { encoding: "utf8" });
    return JSON.parse(out);
}

/** Blocks the (synchronous) harness for `ms` milliseconds. */
function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * True while `pid` runs. A child that exited stays a zombie until Node reaps it, which it cannot do while the
 * harness blocks in sleep(): a zombie counts as gone.
 */
function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    try {
        return fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0] !== "Z";
    } catch {
        return true;
    }
}

/**
 * A KWOK cluster in its own temp dir, on random loopback ports, that injects sidecars for real: the istiod
 * supervisor (demo/istiods.ts) runs one `pilot-discovery` per installed revision beside it. stop() removes every
 * trace.
 */
export class LocalCluster {
    private supervisor?: number;

    private constructor(readonly dir: string, readonly env: NodeJS.ProcessEnv) {}

    get kubeconfig(): string {
        return path.join(this.dir, "kubeconfig");
    }

    static start(env: NodeJS.ProcessEnv): LocalCluster {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-cluster-"));
        const cluster = new LocalCluster(dir, { ...env, ISTIO_MESH_CLUSTER_DIR: dir });
        try {
            execFileSync("bash", [CLUSTER, "start"], { env: cluster.env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
            cluster.env.KUBECONFIG = cluster.kubeconfig;
            cluster.startIstiods();
            cluster.startDataPlane();
        } catch (e) {
            cluster.stop();
            throw e;
        }
        return cluster;
    }

    /** The supervisor runs beside the test (which blocks in `pulumi up` while revisions come and go). */
    private startIstiods(): void {
        const bin = path.join(this.env.ISTIO_MESH_TOOLCHAIN ?? path.join(os.homedir(), ".cache", "istio-mesh-toolchain"), "bin");
        fs.mkdirSync(path.join(this.dir, "istiods"), { recursive: true });
        const log = fs.openSync(path.join(this.dir, "istiods", "supervisor.log"), "a");
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "istiods.ts"), this.dir, bin],
            { cwd: REPO, env: this.env, stdio: ["ignore", log, log] });
        fs.closeSync(log);
        child.unref();
        this.supervisor = child.pid;
        for (let i = 0; i < 300 && !fs.existsSync(this.istiodsState); i++) {
            if (!alive(child.pid!)) {
                break;
            }
            sleep(100);
        }
        if (!fs.existsSync(this.istiodsState)) {
            throw new Error(`the istiod supervisor did not start: ${this.supervisorLog()}`);
        }
    }

    /**
     * The data-plane fixture (demo/dataplane.ts): Istio's request metrics per namespace at the rates traffic() sets,
     * listed for the cluster's Prometheus.
     */
    private startDataPlane(): void {
        const dir = path.join(this.dir, "dataplane");
        fs.mkdirSync(dir, { recursive: true });
        this.traffic([]);
        const log = fs.openSync(path.join(dir, "dataplane.log"), "a");
        const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "dataplane.ts"), dir],
            { cwd: REPO, env: this.env, stdio: ["ignore", log, log] });
        fs.closeSync(log);
        child.unref();
        const port = path.join(dir, "port");
        for (let i = 0; i < 300 && !fs.existsSync(port); i++) {
            if (!alive(child.pid!)) {
                break;
            }
            sleep(100);
        }
        if (!fs.existsSync(port)) {
            throw new Error(`the data-plane fixture did not start: ${tail(path.join(dir, "dataplane.log"))}`);
        }
        const target = [{ targets: [`127.0.0.1:${fs.readFileSync(port, "utf8").trim()}`], labels: { app: "istio-mesh-dataplane-fixture" } }];
        fs.writeFileSync(path.join(this.dir, "prometheus", "targets", "dataplane.json"), JSON.stringify(target));
    }

    /** Sets the traffic the fixture reports from its next scrape on (each namespace's or gateway's rate, errors, latency). */
    traffic(entries: readonly Traffic[]): void {
        const file = path.join(this.dir, "dataplane", "traffic.json");
        fs.writeFileSync(`${file}.new`, JSON.stringify(entries));
        fs.renameSync(`${file}.new`, file);
    }

    /** The cluster's Prometheus (127.0.0.1). */
    get prometheusUrl(): string {
        return `http://127.0.0.1:${fs.readFileSync(path.join(this.dir, "prometheus", "port"), "utf8").trim()}`;
    }

    /** Stops the local istiod of a revision (by the pid the supervisor started it with); it is not restarted. */
    stopIstiod(revision: string): void {
        const state = this.istiods().find(s => s.revision === revision);
        if (!state?.pid || !alive(state.pid)) {
            throw new Error(`no running istiod of revision ${revision}`);
        }
        process.kill(state.pid, "SIGTERM");
    }

    private get istiodsState(): string {
        return path.join(this.dir, "istiods", "state.json");
    }

    private supervisorLog(): string {
        const file = path.join(this.dir, "istiods", "supervisor.log");
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").slice(-10).join("\n") : "(no log)";
    }

    /** The local istiods, one per revision whose injector ConfigMap exists, as the supervisor last saw them. */
    istiods(): IstiodState[] {
        return JSON.parse(fs.readFileSync(this.istiodsState, "utf8"));
    }

    /**
     * Waits until exactly `revisions` have a ready istiod (injecting, routed); throws naming the revision, the
     * reason and the log when one cannot run, or after `timeoutMs`.
     */
    waitForIstiods(revisions: readonly string[], timeoutMs = 90000): IstiodState[] {
        let states: IstiodState[] = [];
        for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; sleep(500)) {
            if (this.supervisor !== undefined && !alive(this.supervisor)) {
                throw new Error(`the istiod supervisor exited: ${this.supervisorLog()}`);
            }
            const proxy = path.join(this.dir, "egress-proxy");
            if (!alive(Number(fs.readFileSync(path.join(proxy, "egress-proxy.pid"), "utf8")))) {
                throw new Error(`the egress proxy exited: no webhook call can reach an istiod\n${tail(path.join(proxy, "egress-proxy.log"))}`);
            }
            states = this.istiods();
            const failed = states.find(s => s.error);
            if (failed) {
                throw new Error(`istiod of revision ${failed.revision}: ${failed.error}\n${tail(failed.log)}`);
            }
            if (istiodsReady(states, revisions)) {
                return states;
            }
        }
        const seen = states.map(s => `${s.revision} (${s.ready ? "ready" : "not ready"}, routes: ${s.routes.join(" ") || "none"})`).join(", ");
        throw new Error(`local istiods for revisions [${[...revisions].sort().join(", ")}] not ready within ${timeoutMs / 1000}s; running: [${seen}]\n` +
            states.filter(s => !s.ready).map(s => `${s.revision}: ${tail(s.log)}`).join("\n"));
    }

    /**
     * TCP connections of the cluster's processes (kwok's pid files), the egress proxy, the istiod supervisor and the
     * istiods whose peer is not a loopback address (`ss -tnp`): the local cluster must not reach anything else.
     */
    nonLoopbackConnections(): string[] {
        const pidFiles = execFileSync("find", [this.dir, "-name", "*.pid"], { encoding: "utf8" }).split("\n").filter(Boolean);
        const pids = new Set(pidFiles.map(f => fs.readFileSync(f, "utf8").trim()).filter(p => /^\d+$/.test(p)));
        const ss = execFileSync("ss", ["-tnpH"], { encoding: "utf8", maxBuffer: 1 << 26 }).split("\n").filter(Boolean);
        return ss.filter(line => [...line.matchAll(/pid=(\d+),/g)].some(m => pids.has(m[1])))
            .filter(line => !/^(127\.|\[::1\]|\[::ffff:127\.)/.test(line.trim().split(/\s+/)[4] ?? ""));
    }

    kubectl(...args: string[]): string {
        return execFileSync("kubectl", args, { env: this.env, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], maxBuffer: 1 << 28 });
    }

    /** kubectl ... -o json, parsed. */
    json(...args: string[]): any {
        return JSON.parse(this.kubectl(...args, "-o", "json"));
    }

    /**
     * The Deployments of `namespaces` with their running pods (selected by each Deployment's selector), for
     * demo/proxyStatus.ts.
     */
    workloadPods(namespaces: readonly string[]): WorkloadPods[] {
        const running = (p: any) => !p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed";
        return namespaces.flatMap(ns => {
            const pods = this.json("get", "pods", "-n", ns).items.filter(running);
            return this.json("get", "deployments", "-n", ns).items.map((d: any) => {
                const selector: Record<string, string> = d.spec.selector.matchLabels ?? {};
                return {
                    namespace: ns, workload: `deployment/${d.metadata.name}`,
                    pods: pods.filter((p: any) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v)),
                };
            });
        });
    }

    /** Applies a manifest given as objects. */
    apply(objects: object[]): void {
        execFileSync("kubectl", ["apply", "-f", "-"], { env: this.env, input: objects.map(o => JSON.stringify(o)).join("\n"), stdio: ["pipe", "pipe", "pipe"] });
    }

    stop(): void {
        if (this.supervisor !== undefined && alive(this.supervisor)) {
            // It stops its istiods (by pid) before it exits; cluster.sh stop then stops anything left by pid.
            process.kill(this.supervisor, "SIGTERM");
            for (let i = 0; i < 300 && alive(this.supervisor); i++) {
                sleep(100);
            }
        }
        spawnSync("bash", [CLUSTER, "stop"], { env: this.env, stdio: "ignore" });
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

/** An application namespace with Deployments (and a PodDisruptionBudget for each when `pdb`), as teams have them. */
export function appNamespace(name: string, deployments: string[], pdb = false): object[] {
    const objects: object[] = [{ apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { "istio-injection": "enabled" } } }];
    for (const d of deployments) {
        objects.push({
            apiVersion: "apps/v1", kind: "Deployment", metadata: { name: d, namespace: name },
            spec: {
                replicas: 2, selector: { matchLabels: { app: d } },
                template: { metadata: { labels: { app: d } }, spec: { containers: [{ name: d, image: `registry.example.com/${d}:1.0` }] } },
            },
        });
        if (pdb) {
            objects.push({ apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: d, namespace: name },
                spec: { minAvailable: 1, selector: { matchLabels: { app: d } } } });
        }
    }
    return objects;
}

export interface PulumiResult { code: number; stdout: string; stderr: string }

/**
 * How a LocalProject gets its dependencies: `linked` to this repository's node_modules (every dev dependency), or
 * `production`, installed into the copy as a runner that only deploys installs them: `npm ci --omit=dev
 * --omit=optional` (npm keeps ts-node, an optional peer of @pulumi/pulumi, unless optional ones are omitted too),
 * offline, from npm's cache, which this repository's own `npm ci` filled.
 */
export type Install = "linked" | "production";

/**
 * This project copied to a temp dir (sources and config; node_modules linked or installed), with a local file
 * backend and a passphrase, so nothing is written into the repository.
 */
export class LocalProject {
    readonly env: NodeJS.ProcessEnv;

    private constructor(readonly dir: string, readonly stack: string, env: NodeJS.ProcessEnv) {
        this.env = { ...env, PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`, PULUMI_CONFIG_PASSPHRASE: "istio-mesh-local" };
    }

    static create(stack: string, env: NodeJS.ProcessEnv, install: Install = "linked"): LocalProject {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-project-"));
        const files = execFileSync("git", ["ls-files"], { cwd: REPO, encoding: "utf8" }).split("\n")
            .filter(f => f && !/^(test|bench|\.ci)\//.test(f) && !/^Pulumi\.\w+\.yaml$/.test(f));
        for (const f of files) {
            fs.mkdirSync(path.join(dir, path.dirname(f)), { recursive: true });
            fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
        }
        if (install === "linked") {
            fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
        } else {
            execFileSync("npm", ["ci", "--omit=dev", "--omit=optional", "--offline", "--no-audit", "--no-fund"],
                { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
        }
        // As a user does after `npm ci`: the compiled program is what Pulumi runs (main.js).
        execFileSync("npm", ["run", "--silent", "build"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        fs.mkdirSync(path.join(dir, ".state"));
        const project = new LocalProject(dir, stack, env);
        project.mustPulumi("stack", "init", stack);
        return project;
    }

    /** Replaces the stack's whole config: each step of an upgrade is a complete, reviewable config. */
    setConfig(config: RawConfig): void {
        const file = path.join(this.dir, `Pulumi.${this.stack}.yaml`);
        const current = (yaml.loadAll(fs.readFileSync(file, "utf8"))[0] ?? {}) as Record<string, unknown>;
        current.config = Object.fromEntries(Object.entries(config).map(([k, v]) => [`istio-mesh:${k}`, v]));
        fs.writeFileSync(file, yaml.dump(current));
    }

    pulumi(...args: string[]): PulumiResult {
        const r = spawnSync("pulumi", [...args, "--non-interactive"], { cwd: this.dir, env: this.env, encoding: "utf8", maxBuffer: 1 << 28 });
        return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    }

    mustPulumi(...args: string[]): PulumiResult {
        const r = this.pulumi(...args);
        if (r.code !== 0) {
            throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
        }
        return r;
    }

    /** `pulumi preview --json`: the steps the engine plans, each {op, urn, type}. */
    previewSteps(...args: string[]): { op: string; urn: string; type: string; name: string }[] {
        const r = this.mustPulumi("preview", "--json", ...args);
        const doc = JSON.parse(r.stdout);
        return (doc.steps ?? []).map((s: any) => ({ op: s.op, urn: s.urn, type: s.newState?.type ?? s.oldState?.type ?? "", name: s.urn.split("::").pop() }));
    }

    /** The resources of the stack's state (`pulumi stack export`), each with its urn and dependencies. */
    stateResources(): { urn: string; dependencies?: string[] }[] {
        return JSON.parse(this.mustPulumi("stack", "export").stdout).deployment?.resources ?? [];
    }

    up(...args: string[]): PulumiResult {
        return this.mustPulumi("up", "--yes", "--skip-preview", ...args);
    }

    dispose(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
