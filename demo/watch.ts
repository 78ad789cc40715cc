/**
 * Records what happens in the local cluster while `pulumi up` runs, for the end-to-end tests that assert an order:
 * one raw API watch per path (`kubectl get --raw '<path>?watch=true'`, one JSON event a line), each event written to
 * <out> as a JSON line with its resourceVersion (etcd's revision: one counter for every kind, so events of different
 * kinds compare) and what the tests read of its object. Run as its own process (the test blocks in `pulumi up`):
 *   node -r ts-node/register/transpile-only demo/watch.ts <out.jsonl> <api path>...
 * with KUBECONFIG set. It stops, with its kubectl children, when its stdin closes (the test ended or died) or on SIGTERM.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as readline from "readline";

/** One watch event as recorded. */
export interface Recorded {
    /** ADDED, MODIFIED, DELETED. */
    type: string;
    kind: string;
    namespace?: string;
    name: string;
    /** metadata.resourceVersion as a number. */
    rv: number;
    /** Nodes: cordoned; DaemonSets, Deployments: generation, images; Pods: node, images, Ready, terminating; webhooks: the Services called; Gateways: labels. */
    unschedulable?: boolean;
    generation?: number;
    images?: string[];
    node?: string;
    ready?: boolean;
    terminating?: boolean;
    labels?: Record<string, string>;
    services?: string[];
}

/** What a test reads of a watch event's object. */
export function record(kind: string, event: { type: string; object: any }): Recorded {
    const o = event.object ?? {};
    const m = o.metadata ?? {};
    const base: Recorded = { type: event.type, kind, ...(m.namespace ? { namespace: m.namespace } : {}), name: m.name, rv: Number(m.resourceVersion) };
    const containers = (spec: any) => [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c: any) => c.image);
    switch (kind) {
        case "Node": return { ...base, unschedulable: o.spec?.unschedulable === true };
        case "DaemonSet": case "Deployment": return { ...base, generation: m.generation, images: containers(o.spec?.template?.spec), labels: m.labels ?? {} };
        case "Pod": return {
            ...base, node: o.spec?.nodeName, images: containers(o.spec), terminating: !!m.deletionTimestamp, labels: m.labels ?? {},
            ready: (o.status?.conditions ?? []).some((c: any) => c.type === "Ready" && c.status === "True"),
        };
        case "MutatingWebhookConfiguration": return { ...base, services: (o.webhooks ?? []).map((w: any) => w.clientConfig?.service?.name) };
        case "Gateway": return { ...base, labels: m.labels ?? {} };
        default: return base;
    }
}

const KINDS: Record<string, string> = {
    nodes: "Node", pods: "Pod", daemonsets: "DaemonSet", deployments: "Deployment", mutatingwebhookconfigurations: "MutatingWebhookConfiguration",
    gateways: "Gateway", namespaces: "Namespace",
};

/** The kind a watch path lists: its last segment before the query. */
export function kindOf(apiPath: string): string {
    const resource = apiPath.split("?")[0].split("/").pop()!;
    return KINDS[resource] ?? resource;
}

function main(out: string, paths: string[]): void {
    const children: ChildProcess[] = [];
    const stop = () => {
        children.forEach(c => c.kill("SIGTERM"));
        process.exit(0);
    };
    process.on("SIGTERM", stop).on("SIGINT", stop);
    process.stdin.on("end", stop).on("error", stop).resume();
    for (const p of paths) {
        const child = spawn("kubectl", ["get", "--raw", `${p}${p.includes("?") ? "&" : "?"}watch=true`], { stdio: ["ignore", "pipe", "inherit"] });
        children.push(child);
        readline.createInterface({ input: child.stdout! }).on("line", line => {
            try {
                fs.appendFileSync(out, `${JSON.stringify(record(kindOf(p), JSON.parse(line)))}\n`);
            } catch {
                // a partial line at the end of a watch: nothing to record
            }
        });
        child.on("exit", code => process.stderr.write(`watch ${p} ended (${code})\n`));
    }
}

if (require.main === module) {
    const [out, ...paths] = process.argv.slice(2);
    if (!out || paths.length === 0) {
        process.stderr.write("usage: watch.ts <out.jsonl> <api path>...\n");
        process.exit(2);
    }
    main(out, paths);
}
