/** Config problems: each names the key (as `pulumi config set --path` spells it), the value and the fix. */
import { CONFIG_NAMESPACE } from "./schema";

/** One config problem. */
export interface ConfigProblem {
    /** Full key, e.g. `istio-mesh:revisions[1].version`. */
    readonly key: string;
    readonly value: unknown;
    readonly message: string;
    readonly fix: string;
}

/** Thrown when config is invalid; its message lists every problem. */
export class MeshConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "MeshConfigError";
    }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
    const lines = problems.map(p => `  - ${p.key} = ${show(p.value)}: ${p.message}. Fix: ${p.fix}.`);
    return `invalid istio-mesh stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

function show(value: unknown): string {
    if (value === undefined) {
        return "(unset)";
    }
    return JSON.stringify(value);
}

/** Collects problems while the parsers walk the config. */
export class Collector {
    readonly problems: ConfigProblem[] = [];
    /** Revisions and tags already reported as broken: references to them are not reported again. */
    readonly broken = new Set<string>();
    add(key: string, value: unknown, message: string, fix: string): void {
        this.problems.push({ key: `${CONFIG_NAMESPACE}:${key}`, value, message, fix });
    }
}
