/** What the rollout of a step does and leaves, as the `upgradePlan` output, the plan report and the preview show it. */
import { revisionWithVersion } from "../../istio";
import { groupInOrder } from "../group";
import { ManualRestart, RolloutPlan, WorkloadDecision } from "./decide";

/** What the rollout of this step does and leaves, for the `upgradePlan` output, the plan report and the preview. */
export interface RolloutReport {
    readonly restarts: "auto" | "manual";
    /** False in render mode (no cluster to observe): nothing restarts. */
    readonly observed: boolean;
    /** Namespaces per wave, in order (auto); in manual mode, the namespaces left to restart by hand. */
    readonly waves: readonly (readonly string[])[];
    /** Set when CNI changes: the restarts start once the istio-cni DaemonSet has rolled out. */
    readonly afterCni?: { readonly from?: string; readonly to?: string };
    /** Namespaces with anything to restart, skip, or do by hand. */
    readonly namespaces: readonly {
        readonly namespace: string;
        readonly label: string;
        readonly revision: string;
        readonly version: string;
        /** "Deployment/web" and why. */
        readonly restart: readonly { workload: string; reason: string }[];
        readonly rolling: readonly string[];
        readonly skipped: readonly { workload: string; reason: string }[];
        readonly manual: readonly ManualRestart[];
        readonly unprotected: readonly string[];
    }[];
}

/** The report of a rollout plan (undefined plan: not observed). */
export function reportRollout(plan: RolloutPlan | undefined, restarts: "auto" | "manual", afterCni?: { from?: string; to?: string }): RolloutReport {
    const name = (w: WorkloadDecision) => `${w.kind}/${w.name}`;
    const namespaces = (plan?.namespaces ?? []).map(n => ({
        namespace: n.namespace, label: n.label, revision: n.revision, version: n.version,
        restart: n.workloads.filter(w => w.verdict === "restart").map(w => ({ workload: name(w), reason: w.reason })),
        rolling: n.workloads.filter(w => w.verdict === "rolling").map(name),
        skipped: n.workloads.filter(w => w.verdict === "paused" || w.verdict === "on-delete").map(w => ({ workload: name(w), reason: w.reason })),
        manual: n.manual,
        unprotected: n.unprotected,
    })).filter(n => n.restart.length + n.rolling.length + n.skipped.length + n.manual.length > 0);
    return {
        restarts, observed: plan !== undefined, waves: plan?.waves ?? [],
        ...(afterCni && plan && plan.waves.length > 0 ? { afterCni } : {}),
        namespaces,
    };
}

/** The 1-based wave each namespace restarts in. */
const waveNumbers = (report: RolloutReport) => new Map(report.waves.flatMap((w, i) => w.map(ns => [ns, i + 1] as const)));

/** Up to this many namespaces restarting get a line each; more share one line per revision they restart onto. */
const RESTART_LINES = 3;

/**
 * The restarts of many namespaces onto each revision as one line: the waves they take and every namespace with
 * its workloads, in wave order ("waves 1-50/50: restart 50 namespaces onto 1-31 (1.31.0): a (Deployment/web), ...").
 */
function groupedRestarts(report: RolloutReport, restarting: RolloutReport["namespaces"], waveOf: Map<string, number>): string[] {
    const entries = restarting.map(n => ({ onto: revisionWithVersion(n), wave: waveOf.get(n.namespace) ?? 0, text: `${n.namespace} (${n.restart.map(r => r.workload).join(", ")})` }));
    return [...groupInOrder(entries, e => e.onto)].map(([revision, group]) => {
        const sorted = [...group].sort((a, b) => a.wave - b.wave);
        const [first, last] = [sorted[0].wave, sorted[sorted.length - 1].wave];
        return `${first === last ? "wave" : "waves"} ${first === last ? first : `${first}-${last}`}/${report.waves.length}: ` +
            `restart ${sorted.length} namespace${sorted.length === 1 ? "" : "s"} onto ${revision}: ${sorted.map(e => e.text).join(", ")}`;
    });
}

/** One summary line per namespace of the report (restarts grouped when many), in the order `up` carries them out. */
export function rolloutSummary(report: RolloutReport): string[] {
    if (!report.observed) {
        return [];
    }
    const lines: string[] = [];
    if (report.afterCni) {
        lines.push(`workload restarts wait for the istio-cni DaemonSet rollout (${report.afterCni.from ?? "(none)"} -> ${report.afterCni.to ?? "(removed)"})`);
    }
    const waveOf = waveNumbers(report);
    const restarting = report.namespaces.filter(n => n.restart.length > 0);
    const grouped = report.restarts === "auto" && restarting.length > RESTART_LINES;
    if (grouped) {
        lines.push(...groupedRestarts(report, restarting, waveOf));
    }
    for (const n of report.namespaces) {
        if (n.restart.length > 0 && !grouped) {
            lines.push(report.restarts === "auto"
                ? `wave ${waveOf.get(n.namespace) ?? 0}/${report.waves.length}: restart namespace ${n.namespace} onto ${revisionWithVersion(n)}: ${n.restart.map(r => r.workload).join(", ")}`
                : `left to restart by hand (rollout.restarts: manual), namespace ${n.namespace} onto ${revisionWithVersion(n)}: ` +
                  n.restart.map(r => `kubectl -n ${n.namespace} rollout restart ${r.workload.toLowerCase()}`).join("; "));
        }
        if (n.unprotected.length > 0) {
            lines.push(`warning: namespace ${n.namespace}: single replica without a PodDisruptionBudget, unavailable while it restarts: ${n.unprotected.join(", ")}`);
        }
        n.rolling.forEach(w => lines.push(`namespace ${n.namespace}: ${w} is still rolling onto ${revisionWithVersion(n)} (an earlier up): awaited, not restarted again`));
        n.skipped.forEach(s => lines.push(`namespace ${n.namespace}: skipped ${s.workload}: ${s.reason}`));
        n.manual.forEach(m => lines.push(`namespace ${n.namespace}: not restarted by the program: ${m.owner} (${m.pods} pod(s) not on ${revisionWithVersion(n)}): ${m.command}`));
    }
    return lines;
}
