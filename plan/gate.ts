/**
 * The health gate in `npm run plan`: each gate of the step (from the program's upgradePlan) with each check's value as
 * Prometheus answers it when the plan runs, so a reviewer sees what will be watched and how the mesh stands now.
 */
import { Query, runChecks } from "../components/gateStep";
import { parseDuration } from "../model/duration";
import { Check, CheckResult, describeResult, GatePlan, gateOutcome } from "../model/gate";

export interface GateValues extends Omit<GatePlan, "points"> {
    /** When Prometheus was asked (ISO 8601). */
    readonly at: string;
    /**
     * Per gate, each check judged now: counters over the last bake, levels now against their value a bake ago. The
     * checks of a revision this step adds are asked too but not counted in passesNow: it does not run yet.
     */
    readonly points: readonly { readonly point: string; readonly passesNow: boolean; readonly checks: readonly CheckResult[] }[];
    /** Revisions this step adds: no istiod of theirs runs before the `up`. */
    readonly notRunningYet: readonly string[];
}

/** Asks each gate's checks now, one gate at a time (a step of many waves asks many queries). */
export async function gateValues(plan: GatePlan, query: Query, now: number, added: readonly string[] = []): Promise<GateValues> {
    const since = now - (parseDuration(plan.bake, { zero: true }) ?? 0);
    const points: GateValues["points"][number][] = [];
    const running = (r: CheckResult) => !added.some(rev => r.where === `revision ${rev}`);
    for (const p of plan.points) {
        const checks = await runChecks(p.checks as Check[], query, since, now);
        points.push({ point: p.point, passesNow: gateOutcome(checks.filter(running), plan.onNoData).passed, checks });
    }
    const { points: _points, ...settings } = plan;
    return { ...settings, at: new Date(now).toISOString(), points, notRunningYet: [...added] };
}

/** The gates as the text report's lines. */
export function gateLines(g: GateValues): string[] {
    const out = [`Health gate (Prometheus ${g.url}, bake ${g.bake}, window ${g.window}; values at ${g.at}):`];
    if (g.onNoData === "skip") {
        out.push("  WARNING: healthGate.onNoData is skip: a check Prometheus cannot answer is SKIPPED, not failed");
    }
    if (g.notRunningYet.length > 0) {
        out.push(`  (${g.notRunningYet.join(", ")}: added by this step, not running yet: their checks are shown, not counted below)`);
    }
    for (const p of g.points) {
        out.push(`  after ${p.point}: ${p.passesNow ? "would pass now" : "WOULD FAIL NOW"}`);
        p.checks.forEach(c => out.push(`    ${describeResult(c)}`));
    }
    return out;
}
