/**
 * The restart step the `workload-restarts` Command runs (`main`, compiled, through tools/build/step.js): it
 * restarts the namespaces of the program's request in waves, re-deciding every workload on a fresh observation
 * (model/rollout/decide.ts), so an interrupted `up` followed by another restarts each workload at most once.
 *
 * Input: the request on stdin (model/rollout/request.ts formatRequest: it grows with the cluster, so not an environment
 * variable); environment: ROLLOUT_PARALLEL (namespaces per wave), ROLLOUT_PAUSE (duration between waves), TIMEOUT
 * (per workload), KUBECONFIG / KUBE_CONTEXT, KUBE_REQUEST_TIMEOUT (each API request of each kubectl call).
 * A restart is a patch of the pod template's ROLLED_ONTO annotation (the record) and RESTARTED_AT (so the template
 * changes even when it holds the record already): the record and the rollout are one write.
 * Any kubectl failure stops the step, naming the namespace and the command; what was not reached is left for
 * the next `up`.
 */
import * as fs from "fs";
import { RESTARTED_AT_ANNOTATION, revisionWithVersion, ROLLED_ONTO_ANNOTATION, rolledOntoValue } from "../istio";
import { parseDuration } from "../model/duration";
import { parseGateRequest, WaveGate } from "../model/gate";
import { decideNamespace, labelProblem, NamespaceTarget, parseRequest, WorkloadDecision } from "../model/rollout";
import { clusterRecord, REAL_CLOCK, stepQuery, waveHooks, WaveHooks } from "./gateStep";
import { Kubectl, KubectlError, observe, TO_PROJECT_ROOT } from "./kubectl";
import { packageDir } from "./projectFiles";
import { exitStep } from "./stepExit";

/**
 * The Command's script: from the project's root (where Pulumi.yaml is, whatever directory `pulumi` runs in), this
 * module's `main` as the program runs (compiled from bin/ when built from these sources), needing no dev dependency.
 */
export const ROLLOUT_STEP_COMMAND = `${TO_PROJECT_ROOT} && exec node ${packageDir()}tools/build/step.js components/rolloutStep`;

export interface StepSettings {
    readonly request: string;
    readonly parallelNamespaces: number;
    /** Milliseconds between waves. */
    readonly pauseMs: number;
    /** kubectl duration each workload's rollout may take. */
    readonly timeout: string;
}

export function stepSettings(env: NodeJS.ProcessEnv, request: string): StepSettings {
    const pause = env.ROLLOUT_PAUSE || "0s";
    // The config checked it (rollout.pauseBetween); this guards a hand-run step.
    const pauseMs = parseDuration(pause, { zero: true });
    if (pauseMs === undefined) {
        throw new Error(`ROLLOUT_PAUSE "${pause}" (istio-mesh:rollout.pauseBetween) is not a duration: write e.g. 30s, 5m or 1m30s`);
    }
    return {
        request,
        parallelNamespaces: Math.max(1, Number(env.ROLLOUT_PARALLEL ?? "1") || 1),
        pauseMs,
        timeout: env.TIMEOUT || "5m",
    };
}

/**
 * The merge patch that restarts a workload onto `target` at `at`: the record, and the time, which makes every restart
 * a change of the pod template (the record alone may be there already, and an unchanged template rolls nothing).
 */
export function restartPatch(target: Pick<NamespaceTarget, "revision" | "version">, at: Date): object {
    return { spec: { template: { metadata: { annotations: {
        [ROLLED_ONTO_ANNOTATION]: rolledOntoValue(target.revision, target.version),
        [RESTARTED_AT_ANNOTATION]: at.toISOString(),
    } } } } };
}

/** A failed step: what failed, and what is left for the next `up`. */
export class RolloutError extends Error {}

const ref = (w: WorkloadDecision) => `${w.kind.toLowerCase()}/${w.name}`;

/**
 * Runs the request. `log` gets one line per decision; `sleep` waits between waves; `gate` (the health gate, when on)
 * checks again what an earlier up moved, then each wave before the next. Throws RolloutError on the first failure
 * (nothing after it is touched).
 */
export async function runRollout(settings: StepSettings, kubectl: Kubectl, log: (line: string) => void,
                                 sleep: (ms: number) => Promise<void>, gate?: WaveHooks): Promise<void> {
    const targets = parseRequest(settings.request);
    const recheck = await gate?.beforeWaves(targets.map(t => t.namespace));
    if (recheck) {
        throw new RolloutError(recheck);
    }
    if (targets.length === 0) {
        log("no workload to restart: every pod of the bound namespaces runs its target");
        return;
    }
    const waves: NamespaceTarget[][] = [];
    for (let i = 0; i < targets.length; i += settings.parallelNamespaces) {
        waves.push(targets.slice(i, i + settings.parallelNamespaces));
    }
    const left = (from: number) => waves.slice(from).flat().map(t => t.namespace);
    for (let i = 0; i < waves.length; i++) {
        const wave = waves[i];
        log(`wave ${i + 1}/${waves.length}: ${wave.map(t => `${t.namespace} -> ${revisionWithVersion(t)}`).join(", ")}`);
        const awaiting: { target: NamespaceTarget; workload: WorkloadDecision }[] = [];
        const since = Date.now();
        try {
            for (const target of wave) {
                const observation = observe(kubectl, [target.namespace]);
                const problem = labelProblem(target, observation.namespaceLabels[target.namespace], observation.namespaceModes?.[target.namespace],
                    observation.namespaceInjection?.[target.namespace]);
                if (problem) {
                    throw new RolloutError(`istio-mesh: ${problem}.`);
                }
                const decided = decideNamespace(target, observation);
                for (const w of decided.workloads) {
                    if (w.verdict === "restart") {
                        kubectl.run(["patch", ref(w), "--type=merge", "-p", JSON.stringify(restartPatch(target, new Date()))], target.namespace);
                        log(`  ${target.namespace}: restarting ${ref(w)} (${w.reason})`);
                        awaiting.push({ target, workload: w });
                    } else if (w.verdict === "rolling") {
                        log(`  ${target.namespace}: ${ref(w)} ${w.reason}: waiting for it, not restarting it again`);
                        awaiting.push({ target, workload: w });
                    } else if (w.verdict === "paused" || w.verdict === "on-delete") {
                        log(`  ${target.namespace}: skipped ${ref(w)}: ${w.reason}`);
                    }
                }
                for (const m of decided.manual) {
                    log(`  ${target.namespace}: not restarted: ${m.owner} (${m.pods} pod(s)): ${m.command}`);
                }
            }
            for (const { target, workload } of awaiting) {
                try {
                    kubectl.run(["rollout", "status", ref(workload), `--timeout=${settings.timeout}`], target.namespace);
                } catch (e) {
                    throw new RolloutError(
                        `istio-mesh: ${ref(workload)} in namespace ${target.namespace} did not finish rolling onto revision ${revisionWithVersion(target)} ` +
                        `within ${settings.timeout}: ${(e as Error).message}\n` +
                        `Check 'kubectl -n ${target.namespace} rollout status ${ref(workload)}' and its pods; raise istio-mesh:restartTimeout if it is only slow, ` +
                        `or revert istio-mesh:namespaces.${target.namespace} to roll back.`);
                }
            }
            const unhealthy = awaiting.length > 0 ? await gate?.afterWave(wave, since, i, waves.length) : undefined;
            if (unhealthy) {
                throw new RolloutError(unhealthy);
            }
        } catch (e) {
            const reason = e instanceof RolloutError ? e.message : e instanceof KubectlError ? `istio-mesh: ${e.message}` : String(e);
            const rest = left(i + 1);
            throw new RolloutError(`${reason}\nThe rollout stopped at wave ${i + 1}/${waves.length}` +
                (rest.length ? `; not reached, left for the next 'pulumi up': ${rest.join(", ")}` : "") +
                ". Workloads already rolled onto their target are not restarted again.");
        }
        log(`wave ${i + 1}/${waves.length} done`);
        if (i + 1 < waves.length && settings.pauseMs > 0) {
            log(`pausing ${settings.pauseMs / 1000}s before the next wave`);
            await sleep(settings.pauseMs);
        }
    }
}

/** The step as a process: the request on stdin, the settings in the environment; exits 1 with the error on stderr. */
export function main(): void {
    const log = (line: string) => process.stdout.write(`${line}\n`);
    const gate = process.env.HEALTH_GATE ? parseGateRequest<WaveGate>(process.env.HEALTH_GATE) : undefined;
    const kubectl = new Kubectl(process.env);
    Promise.resolve()
        .then(() => runRollout(stepSettings(process.env, fs.readFileSync(0, "utf8")), kubectl, log, REAL_CLOCK.sleep,
            gate && waveHooks(gate, stepQuery(gate, process.env), REAL_CLOCK, log, clusterRecord(kubectl, process.env.GATE_RECORD_NAMESPACE || "istio-system"))))
        .then(() => exitStep(0), e => exitStep(1, `${e instanceof Error ? e.message : e}`));
}
