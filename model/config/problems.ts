/** Config problems: each names the key (as `pulumi config set --path` spells it), the value and the fix. */
import { CONFIG_NAMESPACE } from "./schema";

/** One config problem. */
export interface ConfigProblem {
    /** Full key, e.g. `istio-mesh:revisions[1].version`. */
    readonly key: string;
    readonly value: unknown;
    readonly message: string;
    /** What to do (for an advisory: the advice). */
    readonly fix: string;
}

/** Thrown when config is invalid; its message lists every problem. */
export class MeshConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "MeshConfigError";
    }
}

function lines(problems: readonly ConfigProblem[], fix: string): string {
    return problems.map(p => `  - ${p.key} = ${show(p.value)}: ${p.message}. ${fix}: ${p.fix}.`).join("\n");
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
    return `invalid istio-mesh stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines(problems, "Fix")}`;
}

/** Advice on config that works but should not reach production, e.g. a prerelease of Istio. */
export function formatAdvisories(advisories: readonly ConfigProblem[]): string {
    return `istio-mesh stack config (${advisories.length} warning${advisories.length === 1 ? "" : "s"}):\n${lines(advisories, "Advice")}`;
}

function show(value: unknown): string {
    if (value === undefined) {
        return "(unset)";
    }
    return JSON.stringify(value);
}

/** Collects problems (which refuse the config) and advisories (which warn) while the parsers walk the config. */
export class Collector {
    readonly problems: ConfigProblem[] = [];
    readonly advisories: ConfigProblem[] = [];
    /** Revisions and tags already reported as broken: references to them are not reported again. */
    readonly broken = new Set<string>();
    add(key: string, value: unknown, message: string, fix: string): void {
        this.problems.push({ key: `${CONFIG_NAMESPACE}:${key}`, value, message, fix });
    }
    advise(key: string, value: unknown, message: string, advice: string): void {
        this.advisories.push({ key: `${CONFIG_NAMESPACE}:${key}`, value, message, fix: advice });
    }
}
