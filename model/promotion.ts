/**
 * The promotion gate (pure): a stack promoted from another (`promotion: {from, soak}`) may only add a revision,
 * upgrade one in place, change istio-cni or move a tag to an Istio version the source stack has run for at least
 * the soak time. What the source ran, and since when, is the `versionsRun` part of its recorded `meshState`.
 * program.ts reads the source's outputs (the engine's readStackOutputs) and calls these functions; the policy
 * pack and the fleet plan call the same ones.
 */
import { CONFIG_NAMESPACE, ConfigProblem, formatProblems, MeshSpec } from "./config";
import { formatDuration, parseDuration } from "./duration";
import { MeshState, UpgradePlan, VersionRun } from "./facts";

/** The `promotion` config key, validated. */
export interface PromotionSpec {
    /** The source stack as written (org/project/stack, project/stack or stack). */
    readonly from: string;
    /** The soak as written, e.g. "24h". */
    readonly soak: string;
    readonly soakMs: number;
}

/** A stack's fully qualified name parts. */
export interface StackName {
    readonly organization: string;
    readonly project: string;
    readonly stack: string;
}

/** The promotion soak ("24h", "7d", "1h30m"): days allowed, zero not; undefined when not such a duration. */
export function parseSoak(text: unknown): number | undefined {
    return parseDuration(text, { days: true });
}

function problem(key: string, value: unknown, message: string, fix: string): ConfigProblem {
    // CONFIG_NAMESPACE is read at call time: config.ts imports this module before it defines the constant.
    return { key: `${CONFIG_NAMESPACE}:promotion${key}`, value, message, fix };
}

/**
 * Validates the `promotion` key once the schema has checked its shape (a map of the text fields from and soak):
 * the source's name and the soak's duration. Undefined (and no problem) when it is not set (Pulumi.yaml's default is {}).
 */
export function parsePromotion(raw: { from?: unknown; soak?: unknown }): { promotion?: PromotionSpec; problems: ConfigProblem[] } {
    if (Object.keys(raw).length === 0) {
        return { problems: [] };
    }
    const { from, soak } = raw;
    const problems: ConfigProblem[] = [];
    if (typeof from !== "string" || !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/.test(from)) {
        problems.push(problem(".from", from, "is not a stack name",
            "write the stack this one is promoted from as <org>/<project>/<stack>, e.g. my-org/istio-mesh/staging"));
    }
    const soakMs = parseSoak(soak);
    if (soakMs === undefined) {
        problems.push(problem(".soak", soak, "is not a duration",
            `write how long the source must run a version first, e.g. "24h", "7d" or "1h30m" (units d, h, m, s)`));
    }
    if (problems.length > 0) {
        return { problems };
    }
    return { promotion: { from: from as string, soak: (soak as string).trim(), soakMs: soakMs! }, problems: [] };
}

/** The source's fully qualified name: a short name is in this stack's organization (and project). */
export function qualifiedSource(from: string, self: StackName): string {
    const parts = from.split("/");
    if (parts.length === 3) {
        return from;
    }
    return parts.length === 2 ? `${self.organization}/${from}` : `${self.organization}/${self.project}/${from}`;
}

/** What the program exports about its own promotion, so a stack promoted from it can detect a cycle. */
export interface PromotionOutput {
    /** The qualified source stack. */
    readonly from: string;
    readonly soak: string;
}

/**
 * Problems with the source itself, before any version is judged: a reference to this very stack, a cycle
 * (the source is promoted from this stack), a source that has recorded nothing, or one recorded by a version
 * of this program that kept no start times. `source` is the source's `meshState` output, `sourcePromotion` its
 * `promotion` output.
 */
export function sourceProblems(promotion: PromotionSpec, self: StackName, source: MeshState | undefined,
                               sourcePromotion: PromotionOutput | undefined): ConfigProblem[] {
    const selfName = `${self.organization}/${self.project}/${self.stack}`;
    const from = qualifiedSource(promotion.from, self);
    if (from === selfName) {
        return [problem(".from", promotion.from, "names this stack itself: a stack cannot soak its own versions",
            "name the stack this one is promoted from (e.g. staging for prod), or remove promotion")];
    }
    if (sourcePromotion && qualifiedSource(sourcePromotion.from, self) === selfName) {
        return [problem(".from", promotion.from, `${from} is itself promoted from this stack (${selfName}): a cycle, so neither could ever change`,
            `remove promotion from one of them: the first environment of a pipeline has none`)];
    }
    if (!source) {
        return [problem(".from", promotion.from, `${from} has recorded no mesh state (no meshState output): it has never run \`pulumi up\` with this program`,
            `run \`pulumi up\` on ${from} first, or fix the name (pulumi stack ls --all)`)];
    }
    if (!source.versionsRun) {
        return [problem(".from", promotion.from,
            `${from} was last deployed by an older version of this program, which recorded no start time per Istio version`,
            `run \`pulumi up\` on ${from} with this version of the program (the soak clock of what it runs starts then), or remove promotion until then`)];
    }
    return [];
}

/** Istio versions a state runs: its control planes' and istio-cni's. */
export function runningVersions(state: Pick<MeshState, "revisions" | "cni">): string[] {
    const versions = Object.values(state.revisions).map(r => r.version);
    if (state.cni) {
        versions.push(state.cni.version);
    }
    return [...new Set(versions)].sort();
}

/**
 * The start (and end) time of each Istio version, carried forward: a version that keeps running keeps its start;
 * a new one starts `at`; one no longer running gets an end, so a later promotion can still see that it ran.
 * A version that comes back after it ended starts again. A previous state without start times (an older program)
 * starts every version it runs `at`: the earlier start is not known.
 */
export function recordVersionsRun(previous: MeshState | undefined, now: Pick<MeshState, "revisions" | "cni">, at: Date):
    Record<string, VersionRun> {
    const before = previous?.versionsRun ?? {};
    const running = runningVersions(now);
    const stamp = at.toISOString();
    const out: Record<string, VersionRun> = {};
    for (const [version, run] of Object.entries(before)) {
        out[version] = running.includes(version) ? run : run.until ? run : { since: run.since, until: stamp };
    }
    for (const version of running) {
        if (!before[version] || before[version].until) {
            out[version] = { since: stamp };
        }
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** One change the gate judged. */
export interface PromotionVerdict {
    /** e.g. "revision 1-31", "tag default -> 1-31", "istio-cni". */
    readonly change: string;
    /** The config key the change comes from. */
    readonly key: string;
    readonly version: string;
    readonly allowed: boolean;
    /** How long the source has run (or ran) the version; undefined when it never did. */
    readonly ranForMs?: number;
    /** When the source started running it. */
    readonly since?: string;
    /** When the source stopped running it, if it did. */
    readonly until?: string;
    /** When the change will be allowed; undefined when allowed now or when waiting cannot allow it. */
    readonly allowedFrom?: string;
}

/** The changes of a step that the gate judges, each with its config key and the Istio version it brings. */
export function gatedChanges(spec: MeshSpec, plan: UpgradePlan, state: MeshState): { change: string; key: string; version: string }[] {
    const revisionKey = (name: string) => `revisions[${spec.revisions.findIndex(r => r.name === name)}].version`;
    const changes = [
        ...plan.revisionsAdded.map(r => ({ change: `revision ${r.name}`, key: revisionKey(r.name), version: r.version })),
        ...plan.revisionsUpgradedInPlace.map(r => ({ change: `revision ${r.name} (in place from ${r.from})`, key: revisionKey(r.name), version: r.to })),
        ...(plan.cni?.to ? [{ change: "istio-cni", key: "cni.version", version: plan.cni.to }] : []),
        ...plan.tagsMoved.filter(t => t.to !== undefined)
            .map(t => ({ change: `tag ${t.tag} -> ${t.to}`, key: `tags.${t.tag}`, version: state.revisions[t.to!].version })),
    ];
    return changes;
}

/** Judges each gated change against what the source ran, at `now`. */
export function judgePromotion(changes: readonly { change: string; key: string; version: string }[], source: MeshState,
                               soakMs: number, now: Date): PromotionVerdict[] {
    return changes.map(c => {
        const run = source.versionsRun?.[c.version];
        if (!run) {
            return { ...c, allowed: false };
        }
        const start = Date.parse(run.since);
        const ranForMs = (run.until ? Date.parse(run.until) : now.getTime()) - start;
        const allowed = ranForMs >= soakMs;
        return {
            ...c, allowed, ranForMs, since: run.since, ...(run.until ? { until: run.until } : {}),
            ...(!allowed && !run.until ? { allowedFrom: new Date(start + soakMs).toISOString() } : {}),
        };
    });
}

/** An ISO time to the second, as the messages show it. */
export function isoSeconds(iso: string): string {
    return iso.replace(/\.\d{3}Z$/, "Z");
}

/** A refused verdict as a config problem: the version, the source, how long it ran there and when it will be allowed. */
export function refusal(v: PromotionVerdict, from: string, soak: string): ConfigProblem {
    const key = `${CONFIG_NAMESPACE}:${v.key}`;
    if (v.ranForMs === undefined) {
        return {
            key, value: v.version,
            message: `${v.change} would run Istio ${v.version}, which ${from} has never run (promotion soak ${soak})`,
            fix: `run ${v.version} on ${from} first; it is allowed here ${soak} after it starts there. Until then keep the version this stack runs`,
        };
    }
    if (v.allowedFrom === undefined) {
        return {
            key, value: v.version,
            message: `${v.change} would run Istio ${v.version}, which ${from} ran for only ${formatDuration(v.ranForMs)} ` +
                `(${isoSeconds(v.since!)} to ${isoSeconds(v.until!)}) of the ${soak} soak before it stopped running it`,
            fix: `run ${v.version} on ${from} again for ${soak}, or promote a version ${from} has soaked`,
        };
    }
    return {
        key, value: v.version,
        message: `${v.change} would run Istio ${v.version}, which ${from} has run for ${formatDuration(v.ranForMs)} ` +
            `(since ${isoSeconds(v.since!)}) of the ${soak} soak`,
        fix: `wait until ${isoSeconds(v.allowedFrom)} (allowed from then), or keep the version this stack runs`,
    };
}

/** What the gate read from the source stack: its `meshState` and `promotion` outputs. */
export interface SourceOutputs {
    readonly meshState?: MeshState;
    readonly promotion?: PromotionOutput;
}

/**
 * The whole gate for one step: problems with the source first (nothing is judged without a readable source),
 * then one verdict per gated change; `problems` is empty exactly when the step may go ahead.
 */
export function promotionGate(args: {
    promotion: PromotionSpec; self: StackName; source: SourceOutputs; spec: MeshSpec; plan: UpgradePlan; state: MeshState; now: Date;
}): { verdicts: PromotionVerdict[]; problems: ConfigProblem[] } {
    const { promotion, self, source } = args;
    const problems = sourceProblems(promotion, self, source.meshState, source.promotion);
    if (problems.length > 0) {
        return { verdicts: [], problems };
    }
    const from = qualifiedSource(promotion.from, self);
    const verdicts = judgePromotion(gatedChanges(args.spec, args.plan, args.state), source.meshState!, promotion.soakMs, args.now);
    return { verdicts, problems: verdicts.filter(v => !v.allowed).map(v => refusal(v, from, promotion.soak)) };
}

/** The error a refused step fails with: refusals read as the gate's, source problems as config problems. */
export function gateMessage(gate: { verdicts: readonly PromotionVerdict[]; problems: readonly ConfigProblem[] }): string {
    const refused = gate.verdicts.filter(v => !v.allowed).length;
    const text = formatProblems(gate.problems);
    return refused === 0 ? text
        : text.replace(/^[^\n]*/, `istio-mesh promotion gate: ${refused} change${refused === 1 ? "" : "s"} of this step refused:`);
}
