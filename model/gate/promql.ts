/**
 * The placeholders of the gate's PromQL (pure): `{namespace}`, `{revision}`, `{gateway}` name where a check looks,
 * `{window}` is the rate window and `{range}` the time watched since the change (filled when the gate runs).
 */

/** The placeholders a user check may use, and what each becomes. */
export const USER_PLACEHOLDERS: Readonly<Record<string, string>> = {
    namespace: "the namespace that moved (a wave's, a tag's or a gateway's)",
    revision: "the revision it moved to (a new or upgraded control plane's, at control-plane gates)",
    window: "healthGate.window, the range of rates",
    range: "the time watched since the change (the bake, plus the wave's rollout at wave gates)",
};

/** Every `{name}` in a query, in order, each once. */
export function placeholdersOf(query: string): string[] {
    return [...new Set([...query.matchAll(/\{([A-Za-z]+)\}/g)].map(m => m[1]))];
}

/** A PromQL label value's text inside double quotes: backslash and quote escaped (names come from config and the cluster). */
export function labelValue(value: string): string {
    return value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n");
}

/**
 * `query` with each `{name}` of `values` replaced. Values are label values (escaped) except `window` and `range`,
 * which are PromQL durations. Placeholders without a value stay as they are (filled at a later stage).
 */
export function fillPlaceholders(query: string, values: Readonly<Record<string, string | undefined>>): string {
    return query.replace(/\{([A-Za-z]+)\}/g, (whole, name: string) => {
        const v = values[name];
        if (v === undefined) {
            return whole;
        }
        return name === "window" || name === "range" ? v : labelValue(v);
    });
}

/** Milliseconds as a PromQL duration: whole seconds, at least one ("90s"). */
export function promDuration(ms: number): string {
    return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}
