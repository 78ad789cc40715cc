/** The `rollout` section of the stack config: its defaults and the checks its schema cannot make. */
import { parseDuration } from "../duration";

/** The `rollout` config section: how the program restarts workloads. */
export interface RolloutSpec {
    /** Namespaces restarted at the same time; each wave is awaited before the next. Default 1. */
    readonly parallelNamespaces: number;
    /** Pause between waves (duration, e.g. "30s"). Default "0s". */
    readonly pauseBetween: string;
    /** auto: the program restarts; manual: it labels, restarts nothing, and the plan lists what is left. Default auto. */
    readonly restarts: "auto" | "manual";
}

export const DEFAULT_ROLLOUT: RolloutSpec = { parallelNamespaces: 1, pauseBetween: "0s", restarts: "auto" };

/** A problem with the `rollout` section (model/config adds the `istio-mesh:` prefix and lists it with the others). */
export interface RolloutProblem { key: string; value: unknown; message: string; fix: string }

/**
 * The `rollout` section with its defaults. Its shape (keys, types, `restarts` one of auto|manual) is checked by
 * the config schema first; this checks what the schema cannot.
 */
export function parseRollout(raw: Partial<RolloutSpec> | undefined): { rollout: RolloutSpec; problems: RolloutProblem[] } {
    const rollout: RolloutSpec = { ...DEFAULT_ROLLOUT, ...(raw ?? {}) };
    const problems: RolloutProblem[] = [];
    if (rollout.parallelNamespaces < 1) {
        problems.push({ key: "rollout.parallelNamespaces", value: rollout.parallelNamespaces, message: "must be at least 1",
            fix: "e.g. parallelNamespaces: 1 (one namespace at a time)" });
    }
    if (parseDuration(rollout.pauseBetween, { zero: true }) === undefined) {
        problems.push({ key: "rollout.pauseBetween", value: rollout.pauseBetween, message: "is not a duration",
            fix: `write e.g. "30s", "2m" or "1m30s" ("0s": no pause)` });
    }
    return { rollout: problems.length > 0 ? DEFAULT_ROLLOUT : rollout, problems };
}
