/** Revisions and tags: names derived from versions, duplicates, in-place changes against what runs now. */
import { checkInPlaceChange, DEFAULT_TAG, isDnsLabel, parseVersion, revisionNameForVersion } from "../../istio";
import { isObject } from "./check";
import { Collector } from "./problems";
import { PreviousState, RevisionSpec, TagSpec } from "./spec";

const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export function parseRevisions(c: Collector, raw: unknown[], istioNamespace: string): RevisionSpec[] {
    if (raw.length === 0) {
        c.add("revisions", raw, "at least one revision is required",
            `add a list, e.g. revisions: [{version: 1.30.2}] (the name defaults to "1-30")`);
        return [];
    }
    const revisions: RevisionSpec[] = [];
    const byName = new Map<string, number>();
    const byVersion = new Map<string, number>();
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
        if (byName.has(name)) {
            c.add(`${key}.name`, name, `duplicates revisions[${byName.get(name)}] (a name defaults to its version's minor)`,
                `give one of them another name, or remove it`);
            return;
        }
        if (byVersion.has(version.raw)) {
            c.add(`${key}.version`, version.raw, `duplicates revisions[${byVersion.get(version.raw)}].version`,
                `two control planes of the same version serve no upgrade: remove one`);
            return;
        }
        byName.set(name, i);
        byVersion.set(version.raw, i);
        const values = (e.values ?? {}) as Record<string, unknown>;
        const ns = (values.global as Record<string, unknown> | undefined)?.istioNamespace;
        if (ns !== undefined && ns !== istioNamespace) {
            c.add(`${key}.values.global.istioNamespace`, ns, "conflicts with istio-mesh:istioNamespace",
                `remove it and set istio-mesh:istioNamespace instead`);
        }
        revisions.push({ name, version: version.raw, values });
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

/** In-place version changes of a revision that runs now must be a patch or +1 minor. */
export function checkInPlaceChanges(c: Collector, raw: unknown[], revisions: readonly RevisionSpec[], previous?: PreviousState): void {
    revisions.forEach(revision => {
        const before = previous?.revisions[revision.name];
        if (!before || before.version === revision.version) {
            return;
        }
        const verdict = checkInPlaceChange(before.version, revision.version);
        if (!verdict.ok) {
            const i = raw.findIndex(e => isObject(e) && parseVersion(String(e.version))?.raw === revision.version);
            c.add(`revisions[${i}].version`, revision.version,
                `revision "${revision.name}" runs ${before.version} now: ${verdict.reason.split(";")[0]}`,
                `keep revisions[${i}] at ${before.version} and add a new revision {version: ${revision.version}} ` +
                `(name "${revisionNameForVersion(revision.version)}"), then move namespaces to it (canary upgrade)`);
        }
    });
}
