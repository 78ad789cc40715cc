/**
 * Istio's support table: which Kubernetes versions each Istio minor supports, and when it reaches end of life.
 *
 * Source: Istio's "Supported Releases" page and release announcements (a minor is supported until six weeks
 * after minor N+2 is released), as collected in shared/istio-facts.md. When Istio ships a release, this
 * table is the one file to change.
 */
import { minorOf, parseVersion } from "./versions";

export interface IstioMinorSupport {
    /** The Istio minor, e.g. "1.30". */
    readonly minor: string;
    /** Release month, YYYY-MM. */
    readonly released: string;
    /** Oldest and newest supported Kubernetes minor, e.g. ["1.32", "1.36"]. */
    readonly kubernetes: readonly [string, string];
    /** End-of-life date (YYYY-MM-DD) when announced or expected; undefined when not yet announced. */
    readonly endOfLife?: string;
    /** False when the row comes from reports not yet confirmed by Istio's own pages. */
    readonly verified: boolean;
}

export const SUPPORT_TABLE_SOURCE = "https://istio.io/latest/docs/releases/supported-releases/ (via shared/istio-facts.md)";

export const SUPPORT_TABLE: readonly IstioMinorSupport[] = [
    { minor: "1.24", released: "2024-11", kubernetes: ["1.28", "1.31"], endOfLife: "2025-06-24", verified: true },
    { minor: "1.25", released: "2025-03", kubernetes: ["1.29", "1.32"], endOfLife: "2025-09-30", verified: true },
    { minor: "1.26", released: "2025-05", kubernetes: ["1.29", "1.33"], endOfLife: "2025-12-22", verified: true },
    { minor: "1.27", released: "2025-08", kubernetes: ["1.29", "1.33"], endOfLife: "2026-03-30", verified: true },
    { minor: "1.28", released: "2025-11", kubernetes: ["1.30", "1.34"], endOfLife: "2026-05-31", verified: true },
    // One source gives 2026-10-12; the earlier date is kept so the advisory errs on the side of warning.
    { minor: "1.29", released: "2026-02", kubernetes: ["1.31", "1.35"], endOfLife: "2026-08-31", verified: true },
    { minor: "1.30", released: "2026-05", kubernetes: ["1.32", "1.36"], verified: true },
    { minor: "1.31", released: "2026-08", kubernetes: ["1.32", "1.37"], verified: false },
];

/** The support row of an Istio version's minor, or undefined when the table does not know it. */
export function supportFor(istioVersion: string): IstioMinorSupport | undefined {
    if (!parseVersion(istioVersion)) {
        return undefined;
    }
    const minor = minorOf(istioVersion);
    return SUPPORT_TABLE.find(row => row.minor === minor);
}

/** "1.33" from "1.33", "v1.33.4", "1.33.4-gke.100"; undefined when it does not look like a Kubernetes version. */
export function kubernetesMinor(version: string): string | undefined {
    const m = /^v?(\d+)\.(\d+)/.exec(String(version).trim());
    return m ? `${Number(m[1])}.${Number(m[2])}` : undefined;
}

function minorNumber(minor: string): number {
    const [maj, min] = minor.split(".").map(Number);
    return maj * 1000 + min;
}

export type SupportVerdict =
    | { status: "supported"; row: IstioMinorSupport }
    | { status: "unsupported"; row: IstioMinorSupport; reason: string }
    | { status: "unknown"; reason: string };

/** Does this Istio version support this Kubernetes version? */
export function checkKubernetesSupport(istioVersion: string, kubernetesVersion: string): SupportVerdict {
    const row = supportFor(istioVersion);
    if (!row) {
        return { status: "unknown", reason: `Istio ${istioVersion} is not in the support table (${SUPPORT_TABLE_SOURCE})` };
    }
    const k8s = kubernetesMinor(kubernetesVersion);
    if (!k8s) {
        return { status: "unknown", reason: `"${kubernetesVersion}" is not a Kubernetes version` };
    }
    const [lo, hi] = row.kubernetes;
    if (minorNumber(k8s) < minorNumber(lo) || minorNumber(k8s) > minorNumber(hi)) {
        return {
            status: "unsupported",
            row,
            reason: `Istio ${row.minor} supports Kubernetes ${lo}-${hi}, not ${k8s}`,
        };
    }
    return { status: "supported", row };
}

export type LifecycleVerdict =
    | { status: "supported"; row: IstioMinorSupport }
    | { status: "end-of-life"; row: IstioMinorSupport; reason: string }
    | { status: "unknown"; reason: string };

/** The oldest minor of the table still supported on `today` (the upgrade target an end-of-life advisory names). */
export function oldestSupportedMinor(today: Date = new Date()): string | undefined {
    const day = today.toISOString().slice(0, 10);
    return SUPPORT_TABLE.find(row => !row.endOfLife || row.endOfLife >= day)?.minor;
}

/**
 * Why no Istio release has this version, if none has: a major other than 1, or a minor outside the table (older
 * than the oldest minor this program renders, or newer than the newest Istio has announced).
 */
export function unknownReleaseReason(istioVersion: string): string | undefined {
    const v = parseVersion(istioVersion);
    if (!v) {
        return undefined;
    }
    const oldest = SUPPORT_TABLE[0].minor;
    const newest = SUPPORT_TABLE[SUPPORT_TABLE.length - 1].minor;
    if (v.major !== 1 || v.minor > Number(newest.split(".")[1])) {
        return `Istio has no ${minorOf(istioVersion)} release (the newest minor in the support table is ${newest})`;
    }
    if (v.minor < Number(oldest.split(".")[1])) {
        return `Istio ${minorOf(istioVersion)} is older than any release this program renders (${oldest} and newer)`;
    }
    return undefined;
}

/** Is this Istio version past end of life on `today`? */
export function checkEndOfLife(istioVersion: string, today: Date = new Date()): LifecycleVerdict {
    const row = supportFor(istioVersion);
    if (!row) {
        return { status: "unknown", reason: `Istio ${istioVersion} is not in the support table (${SUPPORT_TABLE_SOURCE})` };
    }
    if (row.endOfLife && today.toISOString().slice(0, 10) > row.endOfLife) {
        return {
            status: "end-of-life",
            row,
            reason: `Istio ${row.minor} reached end of life on ${row.endOfLife}; plan an upgrade to ${oldestSupportedMinor(today) ?? "a supported minor"} or newer (the oldest supported release)`,
        };
    }
    return { status: "supported", row };
}
