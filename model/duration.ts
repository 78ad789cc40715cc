/**
 * Durations written in stack config and pack config (pure). Units compose largest first, as Go's durations do,
 * which kubectl takes: "1h30m", "2m30s", "250ms". Days ("7d") only where a duration may be that long: kubectl
 * has no d.
 */

const UNITS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const WITH_DAYS = /^(\d+d)?(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;
const WITHOUT_DAYS = /^(\d+h)?(\d+m)?(\d+s)?(\d+ms)?$/;

export interface DurationOptions {
    /** Accept days ("d"), e.g. for a soak. Default: no, since kubectl takes none. */
    readonly days?: boolean;
    /** Accept zero ("0s"), e.g. for a pause. Default: no, since zero would fail every wait. */
    readonly zero?: boolean;
}

/** "24h", "1h30m", "90s", "250ms" (and "7d" with `days`) -> milliseconds; undefined when it is not such a duration. */
export function parseDuration(text: unknown, options: DurationOptions = {}): number | undefined {
    const trimmed = typeof text === "string" ? text.trim() : "";
    if (trimmed === "" || !(options.days ? WITH_DAYS : WITHOUT_DAYS).test(trimmed)) {
        return undefined;
    }
    let ms = 0;
    for (const [, n, unit] of trimmed.matchAll(/(\d+)(ms|[dhms])/g)) {
        ms += Number(n) * UNITS[unit];
    }
    return ms > 0 || options.zero ? ms : undefined;
}

/** 93_600_000 -> "1d 2h"; at most the two largest units, rounded down to the minute ("0m" under a minute). */
export function formatDuration(ms: number): string {
    const minutes = Math.max(0, Math.floor(ms / 60_000));
    const parts: [number, string][] = [[Math.floor(minutes / 1440), "d"], [Math.floor(minutes / 60) % 24, "h"], [minutes % 60, "m"]];
    const first = parts.findIndex(([n]) => n > 0);
    if (first < 0) {
        return "0m";
    }
    return parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join(" ");
}
