/** Revisions and tags: names derived from versions, duplicates, in-place changes against what runs now. */
import {
    checkInPlaceChange, DEFAULT_TAG, isDnsLabel, istiodName, MAX_LABEL_LENGTH, parseVersion, revisionNameForVersion, tagServiceName,
    unknownReleaseReason,
} from "../../istio";
import { isObject } from "./check";
import { Collector } from "./problems";
import { advisePrerelease } from "./sources";
import { PreviousState, RevisionSpec, TagSpec } from "./spec";

const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export function parseRevisions(c: Collector, raw: unknown[]): RevisionSpec[] {
    if (raw.length === 0) {
        c.add("revisions", raw, "at least one revision is required",
            `add a list, e.g. revisions: [{version: 1.30.2}] (the name defaults to "1-30")`);
        return [];
    }
    const revisions: RevisionSpec[] = [];
    const byName = new Map<string, number>();
    raw.forEach((entry, i) => {
        const key = `revisions[${i}]`;
        const e = entry as Record<string, unknown>;
        const version = parseVersion(e.version as string);
        if (!version || !EXACT_VERSION.test(e.version as string)) {
            c.add(`${key}.version`, e.version, "is not an exact Istio version x.y.z",
                `write the full release, e.g. "1.30.2" (quoted in YAML)`);
            const loose = /^v?(\d+)\.(\d+)/.exec(String(e.version ?? ""));
            c.broken.add(typeof e.name === "string" ? e.name : loose ? `${loose[1]}-${loose[2]}` : "");
            return;
        }
        const unknown = unknownReleaseReason(version.raw);
        if (unknown) {
            c.add(`${key}.version`, e.version, unknown, "use a released version (https://istio.io/latest/news/releases/)");
            c.broken.add((e.name as string | undefined) || revisionNameForVersion(version.raw));
            return;
        }
        const name = (e.name as string | undefined) || revisionNameForVersion(version.raw);
        if (name.includes(".")) {
            c.add(`${key}.name`, name, "revision names may not contain dots (Istio derives object names from them)",
                `use "${name.replace(/\./g, "-")}"`);
            return;
        }
        if (name === DEFAULT_TAG) {
            c.add(`${key}.name`, name, `"${DEFAULT_TAG}" is the default tag, not a revision name`,
                `name the revision after its version ("${revisionNameForVersion(version.raw)}") or e.g. "stable", and point tags.default at it`);
            return;
        }
        if (!isDnsLabel(name)) {
            c.add(`${key}.name`, name, "is not a valid Kubernetes name (lowercase letters, digits and '-')",
                `use e.g. "${revisionNameForVersion(version.raw)}"`);
            return;
        }
        if (istiodName(name).length > MAX_LABEL_LENGTH) {
            c.add(`${key}.name`, name, `is too long: its Service ${istiodName(name)} would exceed ${MAX_LABEL_LENGTH} characters`,
                `use at most ${MAX_LABEL_LENGTH - istiodName("").length} characters, e.g. "${revisionNameForVersion(version.raw)}"`);
            return;
        }
        if (byName.has(name)) {
            c.add(`${key}.name`, name, `duplicates revisions[${byName.get(name)}] (a name defaults to its version's minor)`,
                `give one of them another name, or remove it`);
            return;
        }
        // Two revisions may run the same version: that is how a revision's values change under a new name.
        byName.set(name, i);
        advisePrerelease(c, `${key}.version`, version.raw);
        revisions.push({ name, version: version.raw, values: (e.values ?? {}) as Record<string, unknown> });
    });
    return revisions;
}

export function parseTags(c: Collector, raw: Record<string, unknown>, revisions: readonly RevisionSpec[]): TagSpec[] {
    const tags: TagSpec[] = [];
    const names = revisions.map(r => r.name);
    for (const [tag, target] of Object.entries(raw)) {
        const key = `tags.${tag}`;
        if (!isDnsLabel(tag)) {
            c.add(key, tag, "tag names must be valid Kubernetes names (lowercase letters, digits and '-')",
                `rename the tag, e.g. "prod-stable"`);
            continue;
        }
        if (tagServiceName(tag).length > MAX_LABEL_LENGTH) {
            c.add(key, tag, `is too long: its Service ${tagServiceName(tag)} would exceed ${MAX_LABEL_LENGTH} characters`,
                `use a tag name of at most ${MAX_LABEL_LENGTH - tagServiceName("").length} characters`);
            continue;
        }
        if (names.includes(tag)) {
            c.broken.add(tag);
            c.add(key, target, `tag "${tag}" has the name of a revision; Istio cannot tell them apart`,
                `rename the tag (e.g. "${tag}-tag") or the revision`);
            continue;
        }
        if (typeof target === "string" && c.broken.has(target)) {
            c.broken.add(tag);
            continue;
        }
        if (typeof target !== "string" || !names.includes(target)) {
            c.broken.add(tag);
            c.add(key, target, "does not name a revision of this stack (tags point at revisions, not at tags)",
                `use one of: ${names.join(", ") || "(no revisions)"}`);
            continue;
        }
        tags.push({ name: tag, revision: target });
    }
    return tags;
}

/** The list index of a parsed revision (by name: two revisions may share a version). */
export function rawIndex(raw: unknown[], revision: RevisionSpec): number {
    return raw.findIndex(e => isObject(e) && parseVersion(String(e.version))?.raw === revision.version &&
        ((e.name as string | undefined) || revisionNameForVersion(revision.version)) === revision.name);
}

/** In-place version changes of a revision that runs now must be a patch or +1 minor. */
export function checkInPlaceChanges(c: Collector, raw: unknown[], revisions: readonly RevisionSpec[], previous?: PreviousState): void {
    revisions.forEach(revision => {
        const before = previous?.revisions[revision.name];
        if (!before || before.version === revision.version) {
            return;
        }
        const verdict = checkInPlaceChange(before.version, revision.version);
        if (!verdict.ok) {
            const i = rawIndex(raw, revision);
            c.add(`revisions[${i}].version`, revision.version,
                `revision "${revision.name}" runs ${before.version} now: ${verdict.reason.split(";")[0]}`,
                `keep revisions[${i}] at ${before.version} and add a new revision {version: ${revision.version}} ` +
                `(name "${revisionNameForVersion(revision.version)}"), then move namespaces to it (canary upgrade)`);
        }
    });
}
