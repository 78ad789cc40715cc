/**
 * The health gate's Prometheus client: instant queries through Prometheus' HTTP API (GET /api/v1/query), with Node's
 * own http and https. Headers (a bearer token, a tenant) come from a secret and are never logged.
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import { Answer } from "../model/gate";

export interface PrometheusAccess {
    readonly url: string;
    readonly caFile?: string;
    /** HTTP headers to send, e.g. Authorization (from the secret keys). */
    readonly headers?: Readonly<Record<string, string>>;
    /** Per request, in milliseconds. */
    readonly timeoutMs?: number;
}

/** The headers of the secret keys: the bearer token as Authorization, then the headers map (which may override it). */
export function prometheusHeaders(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
    const headers: Record<string, string> = env.PROMETHEUS_BEARER_TOKEN ? { Authorization: `Bearer ${env.PROMETHEUS_BEARER_TOKEN}` } : {};
    return { ...headers, ...(env.PROMETHEUS_HEADERS ? JSON.parse(env.PROMETHEUS_HEADERS) : {}) };
}

/** The values of an API answer's vector or scalar (NaN and infinities dropped); an error for anything else. */
export function answerOf(status: number | undefined, body: string): Answer {
    let doc: any;
    try {
        doc = JSON.parse(body);
    } catch {
        return { error: `HTTP ${status}: not a Prometheus API answer: ${body.slice(0, 200).trim()}` };
    }
    if (doc.status !== "success") {
        return { error: `HTTP ${status}: ${doc.errorType ?? "error"}: ${doc.error ?? "no detail"}` };
    }
    const { resultType, result } = doc.data ?? {};
    const samples: string[] = resultType === "vector" ? result.map((r: any) => r.value[1]) : resultType === "scalar" ? [result[1]] : [];
    if (resultType !== "vector" && resultType !== "scalar") {
        return { error: `the query gives a ${resultType}, not one value per series: aggregate it (e.g. sum(...), max(...))` };
    }
    return { values: samples.map(Number).filter(v => Number.isFinite(v)) };
}

/** One instant query at `time` (Unix seconds). Never throws: an unreachable Prometheus is an Answer with an error. */
export function queryAt(access: PrometheusAccess, query: string, time: number): Promise<Answer> {
    const url = new URL(`${access.url}/api/v1/query`);
    url.searchParams.set("query", query);
    url.searchParams.set("time", time.toFixed(3));
    const client = url.protocol === "https:" ? https : http;
    let ca: Buffer | undefined;
    try {
        ca = access.caFile && url.protocol === "https:" ? fs.readFileSync(access.caFile) : undefined;
    } catch (e) {
        return Promise.resolve({ error: `healthGate.prometheus.caFile ${access.caFile} cannot be read: ${(e as Error).message}` });
    }
    const options: https.RequestOptions = {
        headers: { Accept: "application/json", ...(access.headers ?? {}) }, timeout: access.timeoutMs ?? 10_000, ...(ca ? { ca } : {}),
    };
    return new Promise(resolve => {
        const req = client.get(url, options, res => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve(answerOf(res.statusCode, Buffer.concat(chunks).toString("utf8"))));
            res.on("error", e => resolve({ error: `${access.url} unreachable: ${e.message}` }));
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${(access.timeoutMs ?? 10_000) / 1000}s`)));
        req.on("error", e => resolve({ error: `${access.url} unreachable: ${e.message}` }));
    });
}
