/**
 * The data-plane fixture of the local cluster: KWOK pods run no Envoy, so this loopback HTTP exporter serves what the
 * sidecars and gateways of a real mesh would report, Istio's standard metrics, at a rate the test controls.
 *
 * Run by LocalCluster (`node demo/dataplane.ts <dir>`): it listens on a free 127.0.0.1 port (written to <dir>/port)
 * and, on each scrape of /metrics, reads <dir>/traffic.json (a list of Traffic) and adds what each entry's rate made
 * since the last scrape to its counters: istio_requests_total by response code, and the
 * istio_request_duration_milliseconds histogram. Prometheus scrapes it like any target; the gate's PromQL runs on it.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { PROXY_METRICS } from "../istio/metrics";

/** The traffic of one namespace (its workloads, as their sidecars report), or of one gateway when `gateway` is set. */
export interface Traffic {
    readonly namespace: string;
    readonly gateway?: string;
    /** Requests per second. */
    readonly rps: number;
    /** The share answered 503. */
    readonly errorRatio: number;
    /** Every request takes this long. */
    readonly latencyMs: number;
}

/** The histogram's bucket bounds, as Istio's default buckets for request duration. */
export const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

interface Totals { ok: number; errors: number; durationSum: number; buckets: number[] }

const key = (t: Traffic) => `${t.namespace}/${t.gateway ?? ""}`;

/** Adds `seconds` of each entry's traffic to the totals. */
export function accumulate(totals: Map<string, Totals & { traffic: Traffic }>, traffic: readonly Traffic[], seconds: number): void {
    for (const t of traffic) {
        const n = t.rps * seconds;
        const entry = totals.get(key(t)) ?? { traffic: t, ok: 0, errors: 0, durationSum: 0, buckets: BUCKETS.map(() => 0) };
        entry.traffic = t;
        entry.ok += n * (1 - t.errorRatio);
        entry.errors += n * t.errorRatio;
        entry.durationSum += n * t.latencyMs;
        BUCKETS.forEach((le, i) => { if (t.latencyMs <= le) { entry.buckets[i] += n; } });
        totals.set(key(t), entry);
    }
}

/** The labels a report carries: a namespace's sidecars report as destination, a gateway as the source of what it proxies. */
function labels(t: Traffic, extra: string): string {
    const who = t.gateway
        ? `reporter="source",source_workload="${t.gateway}",source_workload_namespace="${t.namespace}",destination_workload_namespace="backend"`
        : `reporter="destination",destination_workload="${t.namespace}-app",destination_workload_namespace="${t.namespace}"`;
    return `{${who}${extra}}`;
}

/** The totals in Prometheus' text exposition format. */
export function exposition(totals: Iterable<Totals & { traffic: Traffic }>): string {
    const lines = [`# TYPE ${PROXY_METRICS.requests} counter`];
    const entries = [...totals];
    for (const e of entries) {
        lines.push(`${PROXY_METRICS.requests}${labels(e.traffic, `,response_code="200"`)} ${e.ok}`);
        lines.push(`${PROXY_METRICS.requests}${labels(e.traffic, `,response_code="503"`)} ${e.errors}`);
    }
    lines.push(`# TYPE ${PROXY_METRICS.duration} histogram`);
    for (const e of entries) {
        BUCKETS.forEach((le, i) => lines.push(`${PROXY_METRICS.duration}_bucket${labels(e.traffic, `,le="${le}"`)} ${e.buckets[i]}`));
        const count = e.ok + e.errors;
        lines.push(`${PROXY_METRICS.duration}_bucket${labels(e.traffic, `,le="+Inf"`)} ${count}`);
        lines.push(`${PROXY_METRICS.duration}_sum${labels(e.traffic, "")} ${e.durationSum}`);
        lines.push(`${PROXY_METRICS.duration}_count${labels(e.traffic, "")} ${count}`);
    }
    return `${lines.join("\n")}\n`;
}

function main(dir: string): void {
    const totals = new Map<string, Totals & { traffic: Traffic }>();
    let last = Date.now();
    const read = (): Traffic[] => {
        try {
            return JSON.parse(fs.readFileSync(path.join(dir, "traffic.json"), "utf8"));
        } catch {
            return [];
        }
    };
    const server = http.createServer((req, res) => {
        if (req.url !== "/metrics") {
            res.writeHead(404).end();
            return;
        }
        const now = Date.now();
        accumulate(totals, read(), (now - last) / 1000);
        last = now;
        res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" }).end(exposition(totals.values()));
    });
    server.listen(0, "127.0.0.1", () => {
        fs.writeFileSync(path.join(dir, "port"), `${(server.address() as { port: number }).port}\n`);
    });
    const stop = () => server.close(() => process.exit(0));
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
}

if (require.main === module) {
    const dir = process.argv[2];
    if (!dir) {
        process.stderr.write("usage: dataplane.ts <dir>\n");
        process.exit(2);
    }
    fs.writeFileSync(path.join(dir, "dataplane.pid"), `${process.pid}\n`);
    main(dir);
}
