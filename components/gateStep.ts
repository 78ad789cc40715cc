/**
 * The health gate's step (`node components/gateStep.ts` through ts-node, as the restart step): watches the mesh for the
 * bake after a change, then asks Prometheus each check of its request (model/gate) and fails, naming every failed
 * check, when one does. The restart step runs the same after each wave (waveGateHooks).
 *
 * Input: the request on stdin (model/gate/points.ts formatGateRequest); environment: GATE_SINCE (Unix seconds, when
 * the change began: the marker step before it), PROMETHEUS_BEARER_TOKEN and PROMETHEUS_HEADERS (secrets, optional).
 */
import * as fs from "fs";
import {
    Answer, Check, CheckResult, describeResult, failureMessage, fillPlaceholders, GateRequest, gateOutcome, judge, parseGateRequest,
    promDuration, WaveGate, waveChecks,
} from "../model/gate";
import { formatRequest, NamespaceTarget, parseRequest } from "../model/rollout";
import { Kubectl, TO_PROJECT_ROOT } from "./kubectl";
import { packageDir } from "./projectFiles";
import { prometheusHeaders, queryAt } from "./prometheus";
import { exitStep } from "./stepExit";

/** The Command's script: from the project's root, this file through ts-node, which the program itself runs with. */
export const GATE_STEP_COMMAND = `${TO_PROJECT_ROOT} && exec node --require ts-node/register/transpile-only ${packageDir()}components/gateStep.ts`;

/** An instant query at a time in milliseconds. */
export type Query = (query: string, atMs: number) => Promise<Answer>;

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

/**
 * Asks every check: its value at `at`, and, for counters and baselines, at `since` (when the change began). `{range}`
 * is the time from `since` to `at`. The queries go out together.
 */
export async function runChecks(checks: readonly Check[], query: Query, since: number, at: number): Promise<CheckResult[]> {
    return Promise.all(checks.map(async check => {
        const q = fillPlaceholders(check.query, { range: promDuration(at - since) });
        const needsBefore = check.measure === "delta" || check.baseline !== undefined;
        const [after, before] = await Promise.all([query(q, at), needsBefore ? query(q, since) : Promise.resolve(undefined)]);
        return judge(check, q, after, before);
    }));
}

/**
 * Waits the bake, asks the checks and logs each result. Returns the failure message `pulumi up` prints, or undefined
 * when the gate passes. `stopped` says what is left untouched when it fails.
 */
export async function passGate(req: Pick<GateRequest, "point" | "rollback" | "url" | "bake" | "bakeMs" | "onNoData">, checks: readonly Check[],
                               since: number, query: Query, clock: Clock, log: (line: string) => void, stopped: string): Promise<string | undefined> {
    if (req.bakeMs > 0) {
        log(`health gate after ${req.point}: watching for ${req.bake} (${checks.length} checks, Prometheus ${req.url})`);
        await clock.sleep(req.bakeMs);
    }
    const results = await runChecks(checks, query, since, clock.now());
    results.forEach(r => log(`  ${describeResult(r)}`));
    const outcome = gateOutcome(results, req.onNoData);
    if (outcome.skipped.length > 0) {
        log(`  WARNING: ${outcome.skipped.length} check(s) SKIPPED, not judged (healthGate.onNoData: skip): ` +
            outcome.skipped.map(r => `${r.name} (${r.where})`).join(", "));
    }
    if (outcome.passed) {
        log(`health gate after ${req.point}: passed`);
        return undefined;
    }
    return failureMessage(req.point, outcome, req.url, stopped, req.rollback);
}

/** The restart step's gate: a recheck before the first wave, and a gate after each wave (components/rolloutStep.ts). */
export interface WaveHooks {
    /** Checks the namespaces of a wave an earlier `up` stopped after, at once (no bake, thresholds only). */
    beforeWaves(notReached: readonly string[]): Promise<string | undefined>;
    /** After wave `index` (0-based) of `count`, begun at `since`, whose targets are `targets` (the step names what it did not reach). */
    afterWave(targets: readonly NamespaceTarget[], since: number, index: number, count: number): Promise<string | undefined>;
}

/**
 * Where a rollout stopped on its gate: the failed wave's targets, kept in the cluster (a ConfigMap) so that the next
 * `up`, whose request no longer names them (their workloads already run the target), checks them again first.
 */
export interface WaveRecord {
    /** The recorded targets whose namespace is still labelled as then (a reverted config drops them). */
    pending(): NamespaceTarget[];
    write(targets: readonly NamespaceTarget[]): void;
    clear(): void;
}

export const GATE_RECORD_CONFIGMAP = "istio-mesh-health-gate";

/** The record as ConfigMap `istio-mesh-health-gate` of the istio namespace, its `unhealthy` key in the restart request's format. */
export function clusterRecord(kubectl: Kubectl, namespace: string): WaveRecord {
    const record: WaveRecord = {
        pending() {
            const text = kubectl.run(["get", "configmap", GATE_RECORD_CONFIGMAP, "--ignore-not-found", "-o", "jsonpath={.data.unhealthy}"], namespace);
            const still = parseRequest(text).filter(t =>
                kubectl.run(["get", "namespace", t.namespace, "--ignore-not-found", "-o", "jsonpath={.metadata.labels.istio\\.io/rev}"]) === t.label);
            if (text.trim() !== "" && still.length === 0) {
                record.clear();
            }
            return still;
        },
        write(targets) {
            record.clear();
            const lines = formatRequest({ namespaces: targets.map(t => ({ ...t, workloads: [], manual: [], unprotected: [] })), waves: [targets.map(t => t.namespace)] });
            kubectl.run(["create", "configmap", GATE_RECORD_CONFIGMAP, `--from-literal=unhealthy=${lines}`], namespace);
        },
        clear() {
            kubectl.run(["delete", "configmap", GATE_RECORD_CONFIGMAP, "--ignore-not-found"], namespace);
        },
    };
    return record;
}

const untouched = (names: readonly string[]) => names.length > 0
    ? `The rollout stopped here: not reached, left for the next 'pulumi up': ${names.join(", ")}.`
    : "The rollout stopped here (it was the last wave).";

export function waveHooks(gate: WaveGate, query: Query, clock: Clock, log: (line: string) => void, record: WaveRecord): WaveHooks {
    const rollback = (targets: readonly { namespace: string }[]) => targets.map(t => `istio-mesh:namespaces.${t.namespace}`).join(", ");
    return {
        async beforeWaves(notReached) {
            const recheck = record.pending();
            if (recheck.length === 0) {
                return undefined;
            }
            // Moved by an earlier up: no "before" to compare with, so the thresholds alone decide.
            const checks = waveChecks(gate, recheck).filter(c => c.measure === "level").map(c => ({ ...c, baseline: undefined }));
            const now = clock.now();
            const point = `the wave an earlier up stopped after (${recheck.map(t => t.namespace).join(", ")}), checked again before going on`;
            const failure = await passGate({ ...gate, point, rollback: rollback(recheck), bakeMs: 0 }, checks, now - gate.bakeMs, query, clock, log,
                `Nothing was restarted. ${untouched(notReached)}`);
            if (!failure) {
                record.clear();
            }
            return failure;
        },
        async afterWave(targets, since, index, count) {
            const point = `wave ${index + 1}/${count} (${targets.map(t => t.namespace).join(", ")})`;
            const failure = await passGate({ ...gate, point, rollback: rollback(targets) }, waveChecks(gate, targets), since, query, clock, log,
                "No workload of a later wave was restarted.");
            if (failure) {
                record.write(targets);
            }
            return failure;
        },
    };
}

/** The query function of a step, from its request's URL and CA and the secret headers in its environment. */
export function stepQuery(req: { url: string; caFile?: string }, env: NodeJS.ProcessEnv): Query {
    const access = { url: req.url, caFile: req.caFile, headers: prometheusHeaders(env) };
    return (q, atMs) => queryAt(access, q, atMs / 1000);
}

export const REAL_CLOCK: Clock = { now: () => Date.now(), sleep: ms => new Promise(resolve => setTimeout(resolve, ms)) };

if (require.main === module) {
    const req = parseGateRequest<GateRequest>(fs.readFileSync(0, "utf8"));
    const since = Number(process.env.GATE_SINCE) * 1000 || Date.now();
    passGate(req, req.checks, since, stepQuery(req, process.env), REAL_CLOCK, line => process.stdout.write(`${line}\n`),
        "Nothing that depends on it was touched (what moves to it, and the steps after it, wait for this gate).")
        .then(failure => exitStep(failure ? 1 : 0, failure),
            e => exitStep(1, `istio-mesh health gate after ${req.point}: ${e instanceof Error ? e.message : e}`));
}
