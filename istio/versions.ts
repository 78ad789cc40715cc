/**
 * Istio version arithmetic and the skew rules every upgrade step must respect.
 *
 * Sources: Istio's upgrade docs and release notes, summarised in shared/istio-facts.md.
 * These functions are pure so the program, the config validation and the policy pack share one copy.
 */
import * as semver from "semver";

/** An exact Istio release, e.g. 1.30.2 (pre-releases such as 1.31.0-beta.1 are accepted too). */
export interface IstioVersion {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    /** The version as written, normalised (no leading "v"). */
    readonly raw: string;
}

/** The skew Istio supports; one place to change when Istio changes its policy. */
export const SKEW = {
    /** istiod may be at most this many minors ahead of the proxies it serves; a proxy is never newer. */
    controlPlaneAheadOfProxy: 1,
    /** A canary (revision-based) upgrade may span this many minors between coexisting control planes. */
    canaryMinorSpan: 2,
    /** An in-place upgrade of one revision moves at most this many minors. */
    inPlaceMinorJump: 1,
    /** istio-cni 1.x works with control planes 1.x and 1.x+1. */
    cniControlPlaneAhead: 1,
} as const;

/** Parses "1.30.2" (or "v1.30.2"); returns undefined when the text is not an exact x.y.z version. */
export function parseVersion(text: string): IstioVersion | undefined {
    if (typeof text !== "string") {
        return undefined;
    }
    const v = semver.parse(text.trim());
    if (!v) {
        return undefined;
    }
    return { major: v.major, minor: v.minor, patch: v.patch, raw: v.version };
}

/** Like parseVersion, but throws: for values already validated by the config layer. */
export function mustParseVersion(text: string): IstioVersion {
    const v = parseVersion(text);
    if (!v) {
        throw new Error(`"${text}" is not an exact Istio version (x.y.z)`);
    }
    return v;
}

/**
 * Whether a version is a build before its release (1.31.0-rc.0, 1.30.4-dev.9739e10e): Istio publishes such builds
 * for testing, and supports only releases.
 */
export function isPrerelease(version: string): boolean {
    return semver.prerelease(mustParseVersion(version).raw) !== null;
}

/** "1.30" for 1.30.2. */
export function minorOf(version: string): string {
    const v = mustParseVersion(version);
    return `${v.major}.${v.minor}`;
}

/** The number of minors from `from` to `to` (negative when `to` is older). Majors count as 100 minors. */
export function minorDistance(from: string, to: string): number {
    const a = mustParseVersion(from);
    const b = mustParseVersion(to);
    return (b.major - a.major) * 100 + (b.minor - a.minor);
}

/** semver comparison: negative when a < b. */
export function compareVersions(a: string, b: string): number {
    return semver.compare(mustParseVersion(a).raw, mustParseVersion(b).raw);
}

/** The conventional revision name for a version: 1.30.2 -> "1-30". */
export function revisionNameForVersion(version: string): string {
    const v = mustParseVersion(version);
    return `${v.major}-${v.minor}`;
}

/** When a revision name looks like a version ("1-30"), the minor it promises ("1.30"); otherwise undefined. */
export function minorPromisedByRevisionName(name: string): string | undefined {
    const m = /^(\d+)-(\d+)(?:-(\d+))?$/.exec(name);
    return m ? `${m[1]}.${m[2]}` : undefined;
}

/** A verdict of a skew rule: ok, or the reason it is not. */
export type SkewVerdict = { ok: true } | { ok: false; reason: string };

const OK: SkewVerdict = { ok: true };

/**
 * A proxy (sidecar or gateway) at `proxyVersion` served by istiod at `controlPlaneVersion`:
 * the proxy must not be newer, and istiod at most one minor ahead.
 */
export function checkProxySkew(proxyVersion: string, controlPlaneVersion: string): SkewVerdict {
    if (compareVersions(proxyVersion, controlPlaneVersion) > 0) {
        return {
            ok: false,
            reason: `proxy ${proxyVersion} is newer than its control plane ${controlPlaneVersion}; ` +
                `upgrade istiod first, then the proxies`,
        };
    }
    const ahead = minorDistance(proxyVersion, controlPlaneVersion);
    if (ahead > SKEW.controlPlaneAheadOfProxy) {
        return {
            ok: false,
            reason: `control plane ${controlPlaneVersion} is ${ahead} minors ahead of proxy ${proxyVersion} ` +
                `(at most ${SKEW.controlPlaneAheadOfProxy}); restart the proxies onto a closer revision first`,
        };
    }
    return OK;
}

/**
 * An in-place version change of one revision: patch versions and +1 minor are supported; a larger jump
 * or a downgrade across minors is not (use a canary revision instead).
 */
export function checkInPlaceChange(fromVersion: string, toVersion: string): SkewVerdict {
    const jump = minorDistance(fromVersion, toVersion);
    if (jump > SKEW.inPlaceMinorJump) {
        return {
            ok: false,
            reason: `in-place upgrade ${fromVersion} -> ${toVersion} jumps ${jump} minors ` +
                `(at most ${SKEW.inPlaceMinorJump}); install ${toVersion} as a new canary revision instead`,
        };
    }
    if (jump < 0) {
        return {
            ok: false,
            reason: `in-place downgrade ${fromVersion} -> ${toVersion} crosses minors; ` +
                `keep a revision at ${minorOf(fromVersion)} and roll namespaces back to a canary revision instead`,
        };
    }
    return OK;
}

/** Coexisting control planes may span at most SKEW.canaryMinorSpan minors. */
export function checkCanarySpan(versions: readonly string[]): SkewVerdict {
    if (versions.length < 2) {
        return OK;
    }
    const sorted = [...versions].sort(compareVersions);
    const span = minorDistance(sorted[0], sorted[sorted.length - 1]);
    if (span > SKEW.canaryMinorSpan) {
        return {
            ok: false,
            reason: `control planes ${sorted[0]} and ${sorted[sorted.length - 1]} are ${span} minors apart ` +
                `(at most ${SKEW.canaryMinorSpan}); add an intermediate revision and migrate in two steps`,
        };
    }
    return OK;
}

/** CNI is one DaemonSet: every control plane must be at the CNI's minor or one above it. */
export function checkCniSkew(cniVersion: string, controlPlaneVersion: string): SkewVerdict {
    const ahead = minorDistance(cniVersion, controlPlaneVersion);
    if (ahead < 0) {
        return {
            ok: false,
            reason: `istio-cni ${cniVersion} is newer than control plane ${controlPlaneVersion}; ` +
                `upgrade istiod first, then CNI`,
        };
    }
    if (ahead > SKEW.cniControlPlaneAhead) {
        return {
            ok: false,
            reason: `control plane ${controlPlaneVersion} is ${ahead} minors ahead of istio-cni ${cniVersion} ` +
                `(at most ${SKEW.cniControlPlaneAhead}); upgrade CNI to ${minorOf(controlPlaneVersion)} or the minor below`,
        };
    }
    return OK;
}
