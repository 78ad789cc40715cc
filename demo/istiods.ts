/**
 * The local cluster's istiods: one real `pilot-discovery` (built by tools/offline/toolchain.sh for each Istio
 * minor) per revision the stack installs, run as a local process, so that pods are really injected.
 *
 * Run by LocalCluster as its own process (`node demo/istiods.ts <cluster dir>`), since `pulumi up` blocks the
 * test's process while revisions come and go. Every second it lists the injector ConfigMaps
 * (`istio-sidecar-injector-<rev>`) and the Services of istio-system, then:
 *   - starts the revision's istiod once its ConfigMap and Deployment exist (started earlier, istiod serves no /inject),
 *     every listener on a free 127.0.0.1 port, its pid in <dir>/istiods/<rev>/istiod.pid, with the Deployment's
 *     ambient switch (PASSED_ENV);
 *   - routes `<ClusterIP of istiod-<rev>>:<port>` to that istiod's webhook port in the egress proxy's routes
 *     file (kube-apiserver dials a webhook's Service at its ClusterIP, through the proxy);
 *   - lists its monitoring port (istiod's :15014, here a free port) for the cluster's Prometheus, labelled as a
 *     Kubernetes pod scrape labels istiod (app=istiod, istio_io_rev=<rev>); an istiod that exited stays listed, so
 *     Prometheus sees it down;
 *   - stops it (by pid) once the ConfigMap is gone, i.e. the revision is retired, and drops its route and target.
 * It only reads the cluster: istiod itself patches its webhooks' caBundle and deploys the Gateways of its revision
 * (Gateway API), as in a real cluster.
 * A revision whose istiod cannot run (no binary for its minor, or the process exited) is reported in
 * <dir>/istiods/state.json with the reason and is never restarted: LocalCluster fails on it.
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as path from "path";
import { injectorWebhookName, istiodName, minorOf, versionOfTag } from "../istio";

/** istiod's webhook port in its Service (the chart's `https-webhook`, targetPort 15017). */
const WEBHOOK_TARGET_PORT = 15017;
const ISTIO_NAMESPACE = "istio-system";
/** The injector's ConfigMap has its webhook's name: istio-sidecar-injector-<rev>. */
const INJECTOR_PREFIX = injectorWebhookName("");

/** What the supervisor reports per revision in state.json. */
export interface IstiodState {
    revision: string;
    /** The Istio version of the revision (its injector values' global.tag). */
    version?: string;
    pid?: number;
    /** 127.0.0.1 port of the injection webhook. */
    webhookPort?: number;
    /** 127.0.0.1 port of its metrics (/metrics). */
    monitoringPort?: number;
    /** The proxy routes `<ClusterIP>:<port>` targets to the webhook port. */
    routes: string[];
    /** /ready answered 200 and istiod patched its injector webhook's caBundle. */
    ready: boolean;
    /** Why this revision's istiod does not run; set once, never cleared. */
    error?: string;
    log: string;
}

/** The revisions whose injector ConfigMap is among `names` (ConfigMap names of istio-system). */
export function injectorRevisions(names: readonly string[]): string[] {
    return names.filter(n => n.startsWith(INJECTOR_PREFIX) && n.length > INJECTOR_PREFIX.length)
        .map(n => n.slice(INJECTOR_PREFIX.length)).sort();
}

/**
 * The environment the chart gives istiod that the local process must have too: ambient mode (PILOT_ENABLE_AMBIENT,
 * istio/ambient.ts), which makes istiod serve ztunnel and deploy waypoints. Read from the revision's Deployment.
 */
export const PASSED_ENV = ["PILOT_ENABLE_AMBIENT"] as const;

/** The PASSED_ENV variables the Deployment's `discovery` container sets with a plain value. */
export function deploymentEnv(deployment: any): Record<string, string> {
    const container = (deployment?.spec?.template?.spec?.containers ?? []).find((c: any) => c.name === "discovery");
    return Object.fromEntries((container?.env ?? [])
        .filter((e: any) => (PASSED_ENV as readonly string[]).includes(e.name) && typeof e.value === "string").map((e: any) => [e.name, e.value]));
}

/** The proxy targets of a revision: `<ClusterIP>:<port>` of each webhook port of its istiod Service. */
export function webhookTargets(service: any): string[] {
    const ip = service?.spec?.clusterIP;
    if (!ip || ip === "None") {
        return [];
    }
    const host = ip.includes(":") ? `[${ip}]` : ip;
    return (service.spec.ports ?? [])
        .filter((p: any) => p.targetPort === WEBHOOK_TARGET_PORT || p.name === "https-webhook")
        .map((p: any) => `${host}:${p.port}`);
}

/**
 * Whether `states` are exactly the istiods of `revisions`, each ready and routed. The supervisor lists them in the
 * order it started them, which need not be the revisions' order: compared as sets.
 */
export function istiodsReady(states: readonly IstiodState[], revisions: readonly string[]): boolean {
    const running = states.map(s => s.revision).sort();
    const want = [...revisions].sort();
    return running.length === want.length && running.every((r, i) => r === want[i]) && states.every(s => s.ready && s.routes.length > 0);
}

/** The routes file: one "<target> 127.0.0.1:<webhook port>" line per routed target of a running istiod. */
export function routesFile(states: readonly IstiodState[]): string {
    return states.filter(s => s.webhookPort && !s.error)
        .flatMap(s => s.routes.map(r => `${r} 127.0.0.1:${s.webhookPort} # istiod ${s.revision}`)).join("\n") + "\n";
}

/** The Prometheus file-discovery targets of the istiods: one group per istiod that was started, exited or not. */
export function prometheusTargets(states: readonly IstiodState[]): string {
    return JSON.stringify(states.filter(s => s.monitoringPort).map(s => ({
        targets: [`127.0.0.1:${s.monitoringPort}`], labels: { app: "istiod", istio_io_rev: s.revision },
    })), undefined, 1);
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

function httpStatus(url: string): Promise<number> {
    return new Promise(resolve => {
        const req = http.get(url, { timeout: 2000 }, res => { res.resume(); resolve(res.statusCode ?? 0); });
        req.on("error", () => resolve(0));
        req.on("timeout", () => { req.destroy(); resolve(0); });
    });
}

interface Running { state: IstiodState; child?: ChildProcess; httpPort?: number }

export class IstiodSupervisor {
    private readonly running = new Map<string, Running>();
    private readonly home: string;
    private readonly env: NodeJS.ProcessEnv;

    constructor(private readonly clusterDir: string, private readonly bin: string) {
        this.home = path.join(clusterDir, "istiods");
        this.env = { ...process.env, KUBECONFIG: path.join(clusterDir, "kubeconfig") };
    }

    private kubectl(...args: string[]): string {
        return execFileSync("kubectl", [...args, "--request-timeout=10s"], { env: this.env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
    }

    /** One pass: start, route and stop istiods to match the injector ConfigMaps. */
    async reconcile(): Promise<void> {
        const revisions = injectorRevisions(this.kubectl("get", "configmaps", "-n", ISTIO_NAMESPACE, "-o", "name")
            .split("\n").map(l => l.replace(/^configmap\//, "")));
        for (const rev of [...this.running.keys()].filter(r => !revisions.includes(r))) {
            await this.stop(rev);
        }
        for (const rev of revisions.filter(r => !this.running.has(r))) {
            await this.start(rev);
        }
        const services = JSON.parse(this.kubectl("get", "services", "-n", ISTIO_NAMESPACE, "-o", "json")).items as any[];
        for (const [rev, r] of this.running) {
            r.state.routes = webhookTargets(services.find(s => s.metadata.name === istiodName(rev)));
            if (r.child && !r.state.error && !r.state.ready) {
                r.state.ready = await this.isReady(rev, r);
            }
        }
        this.write();
    }

    private async isReady(rev: string, r: Running): Promise<boolean> {
        if (await httpStatus(`http://127.0.0.1:${r.httpPort}/ready`) !== 200) {
            return false;
        }
        const bundles = this.kubectl("get", "mutatingwebhookconfiguration", injectorWebhookName(rev), "--ignore-not-found",
            "-o", "jsonpath={.webhooks[*].clientConfig.caBundle}");
        return bundles.trim() !== "";
    }

    private async start(rev: string): Promise<void> {
        const dir = path.join(this.home, rev);
        fs.mkdirSync(dir, { recursive: true });
        const log = path.join(dir, "istiod.log");
        // Read before the revision counts as running: if this fails, the next pass tries again.
        const cm = JSON.parse(this.kubectl("get", "configmap", injectorWebhookName(rev), "-n", ISTIO_NAMESPACE, "-o", "json"));
        const env = deploymentEnv(JSON.parse(this.kubectl("get", "deployment", istiodName(rev), "-n", ISTIO_NAMESPACE, "-o", "json")));
        const state: IstiodState = { revision: rev, routes: [], ready: false, log };
        const r: Running = { state };
        this.running.set(rev, r);
        let tag: string | undefined;
        try {
            tag = JSON.parse(cm.data?.values ?? "{}")?.global?.tag;
        } catch {
            tag = undefined;
        }
        state.version = tag ? versionOfTag(String(tag)) : undefined;
        if (!state.version) {
            state.error = `ConfigMap ${injectorWebhookName(rev)} names no Istio version in values.global.tag (${tag ?? "absent"}): cannot pick a pilot-discovery`;
            return;
        }
        const binary = path.join(this.bin, `pilot-discovery-${minorOf(state.version)}`);
        if (!fs.existsSync(binary)) {
            state.error = `no ${binary} for revision ${rev} (Istio ${state.version}): build it with ` +
                `'bash tools/offline/toolchain.sh --only pilot-discovery-${minorOf(state.version)}' (a minor the toolchain ships)`;
            return;
        }
        const [webhook, grpc, secureGrpc, monitoring, httpPort, ctrlz] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => freePort()));
        const out = fs.openSync(log, "a");
        const child = spawn(binary, ["discovery", "--kubeconfig", this.env.KUBECONFIG!,
            `--httpsAddr=127.0.0.1:${webhook}`, `--grpcAddr=127.0.0.1:${grpc}`, `--secureGRPCAddr=127.0.0.1:${secureGrpc}`,
            `--monitoringAddr=127.0.0.1:${monitoring}`, `--httpAddr=127.0.0.1:${httpPort}`, `--ctrlz_port=${ctrlz}`,
            "--domain", "cluster.local", "--keepaliveMaxServerConnectionAge", "30m"], {
            // istiod writes ./var/run/secrets/... relative to its working directory
            cwd: dir, stdio: ["ignore", out, out],
            env: {
                ...this.env, REVISION: rev, POD_NAMESPACE: ISTIO_NAMESPACE, POD_NAME: `${istiodName(rev)}-local`,
                SERVICE_ACCOUNT: istiodName(rev), PILOT_CERT_PROVIDER: "istiod", CLUSTER_ID: "Kubernetes",
                PILOT_ENABLE_ANALYSIS: "false", PLATFORM: "", GOMAXPROCS: "1",
                // Its Gateway API controller, as in a cluster: it deploys each Gateway of its revision (the Deployment and
                // Service of class `istio`, from the kube-gateway template of its injector ConfigMap) once the CRDs exist.
                PILOT_ENABLE_GATEWAY_API: "true", PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER: "true",
                PILOT_ENABLE_GATEWAY_API_STATUS: "true", PILOT_ENABLE_GATEWAY_API_GATEWAYCLASS_CONTROLLER: "true",
                ...env,
            },
        });
        fs.closeSync(out);
        child.on("exit", (code, signal) => {
            if (this.running.get(rev)?.child === child) {
                state.error = `istiod ${rev} exited (${signal ?? `code ${code}`}) while its revision is installed; log: ${log}`;
                state.ready = false;
                this.write();
            }
        });
        fs.writeFileSync(path.join(dir, "istiod.pid"), `${child.pid}\n`);
        Object.assign(state, { pid: child.pid, webhookPort: webhook, monitoringPort: monitoring });
        Object.assign(r, { child, httpPort });
    }

    private async stop(rev: string): Promise<void> {
        const r = this.running.get(rev)!;
        this.running.delete(rev);
        const child = r.child;
        if (child && child.exitCode === null && child.signalCode === null) {
            const exited = new Promise(resolve => child.once("exit", resolve));
            child.kill("SIGTERM");
            const timer = setTimeout(() => child.kill("SIGKILL"), 10000);
            await exited;
            clearTimeout(timer);
        }
        fs.rmSync(path.join(this.home, rev, "istiod.pid"), { force: true });
    }

    async stopAll(): Promise<void> {
        for (const rev of [...this.running.keys()]) {
            await this.stop(rev);
        }
        this.write();
    }

    /** state.json for LocalCluster and the routes file for the egress proxy, each replaced atomically. */
    private write(): void {
        const states = [...this.running.values()].map(r => r.state);
        const put = (file: string, text: string) => { fs.writeFileSync(`${file}.new`, text); fs.renameSync(`${file}.new`, file); };
        put(path.join(this.clusterDir, "egress-proxy", "routes"), routesFile(states));
        put(path.join(this.home, "state.json"), JSON.stringify(states, undefined, 2));
        const targets = path.join(this.clusterDir, "prometheus", "targets");
        if (fs.existsSync(targets)) {
            put(path.join(targets, "istiods.json"), prometheusTargets(states));
        }
    }
}

async function main(clusterDir: string, bin: string): Promise<void> {
    const supervisor = new IstiodSupervisor(clusterDir, bin);
    let stopping = false;
    process.on("SIGTERM", () => { stopping = true; });
    process.on("SIGINT", () => { stopping = true; });
    fs.writeFileSync(path.join(clusterDir, "istiods", "supervisor.pid"), `${process.pid}\n`);
    while (!stopping) {
        try {
            await supervisor.reconcile();
        } catch (e) {
            // The API server may be busy (a rollout, a Pulumi step): report and try again next second.
            process.stderr.write(`${new Date().toISOString()} istiods: ${e instanceof Error ? e.message.split("\n")[0] : e}\n`);
        }
        await new Promise(r => setTimeout(r, 1000));
    }
    await supervisor.stopAll();
}

if (require.main === module) {
    const [clusterDir, bin] = process.argv.slice(2);
    if (!clusterDir || !bin) {
        process.stderr.write("usage: istiods.ts <cluster dir> <toolchain bin dir>\n");
        process.exit(2);
    }
    fs.mkdirSync(path.join(clusterDir, "istiods"), { recursive: true });
    main(clusterDir, bin).then(() => process.exit(0));
}
