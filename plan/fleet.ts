/**
 * The fleet plan (pure): for several stacks, the step each is at, the Istio versions in use across them, which
 * stacks lag the others or run a release past end of life, and which promotions are blocked and until when.
 * plan/fleet-run.ts gathers the inputs (stack outputs, config, previews); everything here is tested on
 * recorded-shape inputs.
 */
import { checkEndOfLife, compareVersions, minorDistance } from "../istio";
import { MeshState, UpgradePlan } from "../model/facts";
import { PromotionVerdict, runningVersions } from "../model/promotion";
import { PlanReport } from "./report";

/** What is known of one stack. */
export interface FleetStackInput {
    readonly stack: string;
    /** What it runs now: its `meshState` output; undefined when it was never deployed. */
    readonly running?: MeshState;
    /** The state after this step and the step itself, as the program computes them from the stack's config. */
    readonly next?: MeshState;
    readonly upgrade?: UpgradePlan;
    /** Why the step could not be computed (invalid config, unreadable stack). */
    readonly error?: string;
    /** The promotion gate's outcome, when the stack is promoted from another. */
    readonly promotion?: {
        readonly from: string;
        readonly soak: string;
        readonly verdicts: readonly PromotionVerdict[];
        /** Problems with the source itself (missing, a cycle, no start times): nothing can be promoted. */
        readonly problems: readonly string[];
    };
    /** The preview's report; undefined when the stack was not previewed (offline). */
    readonly preview?: PlanReport;
}

export interface FleetRevision {
    readonly name: string;
    readonly version: string;
    readonly tags: readonly string[];
    readonly namespaces: readonly string[];
}

export interface FleetStack {
    readonly stack: string;
    readonly deployed: boolean;
    /** Istio versions (control planes and CNI) it runs now, and after its step. */
    readonly running: readonly string[];
    readonly next: readonly string[];
    /** The revisions after its step, each with the tags pointing at it and the namespaces it serves. */
    readonly revisions: readonly FleetRevision[];
    readonly cni?: string;
    /** The step's changes, in the order `up` carries them out; empty when nothing changes. */
    readonly pending: readonly string[];
    /** "previewed" with the preview's verdict, or "not previewed". */
    readonly preview: { readonly run: boolean; readonly safe?: boolean; readonly reasons: readonly string[] };
    /** True when this stack's step is refused (gate, invalid config, mandatory policy, failed preview). */
    readonly refused: boolean;
    /** True when the stack could not be planned: its config or outputs could not be read, or its preview failed for another reason than the gate. */
    readonly failed: boolean;
    readonly reasons: readonly string[];
}

export interface FleetVersion {
    readonly version: string;
    /** Stacks running it now. */
    readonly running: readonly string[];
    /** Stacks running it after their step. */
    readonly next: readonly string[];
}

export interface FleetLag {
    readonly stack: string;
    /** The stack's newest version after its step. */
    readonly newest: string;
    /** The fleet's newest version and the stacks that run it. */
    readonly fleetNewest: string;
    readonly aheadStacks: readonly string[];
    readonly minorsBehind: number;
}

export interface FleetEndOfLife {
    readonly stack: string;
    readonly version: string;
    readonly reason: string;
}

export interface FleetBlocked {
    readonly stack: string;
    readonly from: string;
    /** The change refused, e.g. "revision 1-31"; undefined when the source itself is the problem. */
    readonly change?: string;
    readonly version?: string;
    /** How long the source has run the version; undefined when it never did. */
    readonly ranForMs?: number;
    /** When it will be allowed; undefined when waiting alone will not allow it. */
    readonly until?: string;
    readonly reason: string;
}

export interface FleetReport {
    /** The date the end-of-life verdicts and the gate were evaluated at. */
    readonly at: string;
    readonly stacks: readonly FleetStack[];
    readonly versions: readonly FleetVersion[];
    readonly lagging: readonly FleetLag[];
    readonly endOfLife: readonly FleetEndOfLife[];
    readonly blocked: readonly FleetBlocked[];
    /** True when no stack's step is refused. */
    readonly safe: boolean;
}

function revisionsOf(state: MeshState): FleetRevision[] {
    return Object.entries(state.revisions).map(([name, r]) => ({
        name,
        version: r.version,
        tags: Object.entries(state.tags).filter(([, rev]) => rev === name).map(([t]) => t).sort(),
        namespaces: Object.entries(state.namespaces).filter(([, b]) => b.revision === name).map(([n]) => n).sort(),
    })).sort((a, b) => compareVersions(a.version, b.version));
}

/** A failed preview that only repeats the gate's refusal is not a second reason. */
function previewReasons(input: FleetStackInput): string[] {
    const p = input.preview;
    if (!p || p.safe) {
        return [];
    }
    const gated = (input.promotion?.problems.length ?? 0) > 0 || (input.promotion?.verdicts.some(v => !v.allowed) ?? false);
    return p.reasons.filter(r => !(gated && r.startsWith("the preview failed") && /promotion gate|istio-mesh:promotion/.test(r)));
}

function stackOf(input: FleetStackInput): FleetStack {
    const reasons: string[] = [];
    if (input.error) {
        reasons.push(input.error);
    }
    input.promotion?.problems.forEach(p => reasons.push(`promotion from ${input.promotion!.from}: ${p}`));
    const refusedChanges = input.promotion?.verdicts.filter(v => !v.allowed) ?? [];
    if (refusedChanges.length > 0) {
        reasons.push(`promotion gate: ${refusedChanges.map(v => `${v.change} (${v.version})`).join(", ")} not yet soaked on ${input.promotion!.from}`);
    }
    const preview = previewReasons(input);
    reasons.push(...preview);
    return {
        stack: input.stack,
        deployed: input.running !== undefined,
        running: input.running ? runningVersions(input.running) : [],
        next: input.next ? runningVersions(input.next) : [],
        revisions: input.next ? revisionsOf(input.next) : [],
        ...(input.next?.cni ? { cni: input.next.cni.version } : {}),
        pending: input.upgrade?.summary ?? [],
        preview: input.preview
            ? { run: true, safe: input.preview.safe, reasons: input.preview.reasons }
            : { run: false, reasons: [] },
        refused: reasons.length > 0,
        failed: input.error !== undefined || preview.some(r => r.startsWith("the preview failed")),
        reasons,
    };
}

function newestOf(versions: readonly string[]): string | undefined {
    return [...versions].sort(compareVersions).pop();
}

/** Builds the fleet report, judging end of life at `today`. */
export function buildFleetReport(inputs: readonly FleetStackInput[], today: Date): FleetReport {
    const stacks = inputs.map(stackOf);

    const all = [...new Set(stacks.flatMap(s => [...s.running, ...s.next]))].sort(compareVersions);
    const versions = all.map(version => ({
        version,
        running: stacks.filter(s => s.running.includes(version)).map(s => s.stack),
        next: stacks.filter(s => s.next.includes(version)).map(s => s.stack),
    }));

    const newest = stacks.map(s => ({ stack: s.stack, newest: newestOf(s.next) })).filter(s => s.newest !== undefined) as { stack: string; newest: string }[];
    const fleetNewest = newestOf(newest.map(s => s.newest));
    const lagging: FleetLag[] = fleetNewest === undefined ? [] : newest
        .map(s => ({ ...s, minorsBehind: minorDistance(s.newest, fleetNewest) }))
        .filter(s => s.minorsBehind > 1)
        .map(s => ({
            stack: s.stack, newest: s.newest, fleetNewest, minorsBehind: s.minorsBehind,
            aheadStacks: newest.filter(o => compareVersions(o.newest, fleetNewest) === 0).map(o => o.stack),
        }));

    const endOfLife: FleetEndOfLife[] = [];
    for (const s of stacks) {
        for (const version of [...new Set([...s.running, ...s.next])].sort(compareVersions)) {
            const verdict = checkEndOfLife(version, today);
            if (verdict.status !== "supported") {
                endOfLife.push({ stack: s.stack, version, reason: verdict.reason });
            }
        }
    }

    const blocked: FleetBlocked[] = inputs.flatMap(input => {
        const p = input.promotion;
        if (!p) {
            return [];
        }
        return [
            ...p.problems.map(reason => ({ stack: input.stack, from: p.from, reason })),
            ...p.verdicts.filter(v => !v.allowed).map(v => ({
                stack: input.stack, from: p.from, change: v.change, version: v.version,
                ...(v.ranForMs !== undefined ? { ranForMs: v.ranForMs } : {}),
                ...(v.allowedFrom ? { until: v.allowedFrom } : {}),
                reason: v.ranForMs === undefined ? `${p.from} has never run ${v.version}`
                    : v.allowedFrom ? `soaking on ${p.from} (soak ${p.soak})`
                        : `${p.from} stopped running ${v.version} before the ${p.soak} soak ended`,
            })),
        ];
    });

    return { at: today.toISOString(), stacks, versions, lagging, endOfLife, blocked, safe: stacks.every(s => !s.refused) };
}

/** The exit status of the fleet plan, as the single-stack plan's: 0 when every step may go ahead, 1 when any is refused, 2 when any stack could not be planned. */
export function fleetExitCode(r: FleetReport): number {
    return r.stacks.some(s => s.failed) ? 2 : r.safe ? 0 : 1;
}
