/**
 * Judging the gate's checks (pure): a check's value against its threshold and against the value before the change,
 * what no data means, and the failure message `pulumi up` prints.
 */
import { Check, Comparison } from "./checks";

/** What Prometheus answered for one query: the series' values (NaN dropped), or why it could not answer. */
export type Answer = { readonly values: readonly number[] } | { readonly error: string };

export type Verdict = "pass" | "fail" | "no-data" | "error";

export interface CheckResult {
    readonly name: string;
    readonly where: string;
    readonly configKey: string;
    /** The query as sent, `{range}` filled. */
    readonly query: string;
    readonly comparison: Comparison;
    readonly threshold?: number;
    readonly unit: string;
    /** The measured value: the level at the end, or the counter's growth (delta). */
    readonly value?: number;
    /** The level before the change (baseline and delta checks). */
    readonly before?: number;
    /** The limit from the value before (before + margin, or before x factor). */
    readonly baselineLimit?: number;
    readonly verdict: Verdict;
    /** Why it failed, had no data or erred; for a pass, notes such as "no baseline". */
    readonly reason?: string;
}

const COMPARE: Record<Comparison, (a: number, b: number) => boolean> = {
    "<": (a, b) => a < b, "<=": (a, b) => a <= b, ">": (a, b) => a > b, ">=": (a, b) => a >= b,
};

/** The worst of several series for a comparison: the largest where the value must stay under, the smallest otherwise. */
export function worst(values: readonly number[], comparison: Comparison): number | undefined {
    const finite = values.filter(v => Number.isFinite(v));
    if (finite.length === 0) {
        return undefined;
    }
    return comparison.startsWith("<") ? Math.max(...finite) : Math.min(...finite);
}

/** A number for messages: at most four significant digits, no exponent for everyday values. */
export function formatValue(v: number | undefined, unit = ""): string {
    if (v === undefined) {
        return "(no data)";
    }
    const text = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
    return unit === "ratio" ? `${text} (${Number((v * 100).toPrecision(3))}%)` : unit ? `${text} ${unit}` : text;
}

/**
 * Judges one check. `after` is the answer at the end of the bake; `before` the answer just before the change
 * (delta checks and baselines). A delta reads an absent counter as 0 and a counter that went down (istiod restarted)
 * as its new value.
 */
export function judge(check: Check, query: string, after: Answer, before?: Answer): CheckResult {
    const base = {
        name: check.name, where: check.where, configKey: check.configKey, query, comparison: check.comparison, unit: check.unit,
        ...(check.threshold !== undefined ? { threshold: check.threshold } : {}),
    };
    const failed = [after, before].find((a): a is { error: string } => a !== undefined && "error" in a);
    if (failed) {
        return { ...base, verdict: "error", reason: failed.error };
    }
    const level = (a: Answer | undefined) => (a && "values" in a ? worst(a.values, check.comparison) : undefined);
    const afterLevel = level(after);
    const beforeLevel = level(before);
    if (check.measure === "delta") {
        const now = afterLevel ?? 0;
        const then = beforeLevel ?? 0;
        const value = now >= then ? now - then : now;
        const pass = check.threshold === undefined || COMPARE[check.comparison](value, check.threshold);
        return {
            ...base, value, before: then, verdict: pass ? "pass" : "fail",
            ...(pass ? {} : { reason: `grew by ${formatValue(value, check.unit)} (${formatValue(then)} -> ${formatValue(now)}), more than ${formatValue(check.threshold)}` }),
        };
    }
    if (afterLevel === undefined) {
        return { ...base, verdict: "no-data", reason: "the query returned no data" };
    }
    const notes: string[] = [];
    const problems: string[] = [];
    if (check.threshold !== undefined && !COMPARE[check.comparison](afterLevel, check.threshold)) {
        problems.push(`${formatValue(afterLevel, check.unit)} is not ${check.comparison} ${formatValue(check.threshold, check.unit)}`);
    }
    let baselineLimit: number | undefined;
    if (check.baseline && (check.baseline.margin !== undefined || check.baseline.factor !== undefined)) {
        if (beforeLevel === undefined) {
            notes.push("no baseline (no data before the change): compared with the threshold only");
        } else {
            baselineLimit = check.baseline.factor !== undefined ? beforeLevel * check.baseline.factor : beforeLevel + check.baseline.margin!;
            if (!COMPARE[check.comparison](afterLevel, baselineLimit)) {
                const by = check.baseline.factor !== undefined ? `x${check.baseline.factor}` : `+${formatValue(check.baseline.margin, check.unit)}`;
                problems.push(`${formatValue(afterLevel, check.unit)} is worse than before the change (${formatValue(beforeLevel, check.unit)}) ${by}: ` +
                    `the limit was ${formatValue(baselineLimit, check.unit)}`);
            }
        }
    }
    return {
        ...base, value: afterLevel, ...(beforeLevel !== undefined ? { before: beforeLevel } : {}),
        ...(baselineLimit !== undefined ? { baselineLimit } : {}),
        verdict: problems.length > 0 ? "fail" : "pass",
        ...(problems.length > 0 ? { reason: problems.join("; ") } : notes.length > 0 ? { reason: notes.join("; ") } : {}),
    };
}

/** A gate's outcome: failed checks stop the step; no data and errors stop it too unless skipping was chosen. */
export interface GateOutcome {
    readonly passed: boolean;
    readonly failed: readonly CheckResult[];
    /** No data or errors, let through by `onNoData: skip`. */
    readonly skipped: readonly CheckResult[];
}

export function gateOutcome(results: readonly CheckResult[], onNoData: "fail" | "skip"): GateOutcome {
    const unanswered = results.filter(r => r.verdict === "no-data" || r.verdict === "error");
    const failed = results.filter(r => r.verdict === "fail" || (onNoData === "fail" && unanswered.includes(r)));
    return { passed: failed.length === 0, failed, skipped: onNoData === "skip" ? unanswered : [] };
}

/** One result as a line of the step's output or of the failure. */
export function describeResult(r: CheckResult): string {
    const shown = r.verdict === "no-data" || r.verdict === "error" ? r.verdict.toUpperCase() : formatValue(r.value, r.unit);
    const limit = r.threshold !== undefined ? ` (${r.comparison} ${formatValue(r.threshold, r.unit)})` : "";
    const before = r.before !== undefined ? `, before ${formatValue(r.before, r.unit)}` : "";
    return `${r.verdict === "pass" ? "ok" : r.verdict.toUpperCase()} ${r.name}, ${r.where}: ${shown}${limit}${before}${r.reason ? `: ${r.reason}` : ""}`;
}

/**
 * The failure `pulumi up` prints: the gate, each failed check with its query, value, threshold and where, then what to do.
 * `point` names the gate ("control plane 1-31 (1.31.0)"); `stopped` what was not touched; `rollback` the config to revert.
 */
export function failureMessage(point: string, outcome: GateOutcome, url: string, stopped: string, rollback: string): string {
    const lines = outcome.failed.map(r => {
        const what = r.verdict === "error" ? `Prometheus could not answer (${r.reason})`
            : r.verdict === "no-data" ? "no data: the query returned nothing, so health cannot be judged"
            : r.reason ?? "failed";
        return `  - ${r.name} (${r.configKey}), ${r.where}: ${what}\n` +
            `    value ${formatValue(r.value, r.unit)}${r.threshold !== undefined ? `, threshold ${r.comparison} ${formatValue(r.threshold, r.unit)}` : ""}` +
            `${r.before !== undefined ? `, before the change ${formatValue(r.before, r.unit)}` : ""}\n    query: ${r.query}`;
    });
    const unanswered = outcome.failed.some(r => r.verdict === "error" || r.verdict === "no-data");
    return `istio-mesh health gate after ${point}: ${outcome.failed.length} check${outcome.failed.length === 1 ? "" : "s"} failed (Prometheus ${url}):\n` +
        `${lines.join("\n")}\n${stopped}\n` +
        `What to do: to roll back, revert ${rollback} and run 'pulumi up'; or fix the cause and run 'pulumi up' again, ` +
        `which checks again before going on (nothing already moved restarts again). To tune, set the config key named above` +
        (unanswered ? "; where Prometheus cannot answer, healthGate.onNoData: skip lets the step through without these checks (the plan says so)." : ".");
}
