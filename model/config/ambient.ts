/**
 * The `ambient` section of the stack config: ztunnel, its node-by-node rollout and the namespaces enrolled in the
 * ambient mesh. Its shape is checked by the schema; this gives it meaning and checks Istio's ambient skew rules
 * (istio/ambient.ts) before any resource is registered.
 */
import { AMBIENT_TARGET, checkInPlaceChange, checkNodeAgentSkew, compareVersions, DEFAULT_TAG, isDnsLabel, parseVersion, ZtunnelRollout } from "../../istio";
import { parseDuration } from "../duration";
import { ZTUNNEL_DEFAULTS } from "./defaults";
import { Collector } from "./problems";
import { advisePrerelease } from "./sources";
import { AmbientSpec, NamespaceSpec, PreviousState, RevisionSpec, TagSpec } from "./spec";

/** The ambient keys that mean something only with `ambient.enabled: true`. */
const AMBIENT_SETTINGS = ["namespaces", "ztunnel"] as const;

const isSet = (v: unknown) => v !== undefined && !(typeof v === "object" && v !== null && Object.keys(v).length === 0);

/**
 * The `ambient` section, checked against the revisions, tags and sidecar namespaces of the config and against what
 * the previous `up` recorded (ztunnel moves in place, one minor at a time). Undefined when ambient is off.
 */
export function parseAmbient(c: Collector, raw: Record<string, any>, revisions: readonly RevisionSpec[], tags: readonly TagSpec[],
                             sidecarNamespaces: readonly NamespaceSpec[], istioNamespace: string, previous?: PreviousState): AmbientSpec | undefined {
    if (raw.enabled !== true) {
        for (const key of AMBIENT_SETTINGS.filter(k => isSet(raw[k]))) {
            c.add(`ambient.${key}`, raw[key], `is set, but ambient mode is off (ambient.enabled is ${raw.enabled === false ? "false" : "unset"}), so it does nothing`,
                `set ambient.enabled: true to install ztunnel and enrol namespaces, or remove ambient.${key}`);
        }
        if (previous?.ambient && revisions.length > 0) {
            c.add("ambient.enabled", raw.enabled, `ambient mode ran here (ztunnel ${previous.ambient.ztunnel.version}${previous.ambient.namespaces.length ? `, namespaces ${previous.ambient.namespaces.join(", ")}` : ""}); ` +
                "turning it off removes ztunnel from every node and leaves the enrolled namespaces' pods without a data plane",
                "move every ambient namespace back to sidecars first (from ambient.namespaces to namespaces) and let them restart, then set ambient.enabled: false in a later step");
        }
        return undefined;
    }
    const names = revisions.map(r => r.name);
    for (const reserved of [...revisions.map((r, i) => ({ name: r.name, key: `revisions[${i}].name` })), ...tags.map(t => ({ name: t.name, key: `tags.${t.name}` }))]) {
        if (reserved.name === AMBIENT_TARGET) {
            c.add(reserved.key, reserved.name, `"${AMBIENT_TARGET}" names the ambient data plane in this program's records, so no revision or tag may be called so`,
                "name it after its version (e.g. 1-30) or e.g. stable");
        }
    }
    const z: Record<string, any> = raw.ztunnel ?? {};
    // By default ztunnel follows the default tag (the mesh's main revision; moving the tag moves ztunnel first, in
    // Istio's order), else the newest revision: adding a revision beside it leaves every node alone.
    const newest = [...revisions].sort((a, b) => compareVersions(b.version, a.version))[0];
    const revisionName: string | undefined = z.revision ?? tags.find(t => t.name === DEFAULT_TAG)?.revision ?? newest?.name;
    const revision = revisions.find(r => r.name === revisionName);
    if (z.revision !== undefined && !revision) {
        const tag = tags.find(t => t.name === z.revision);
        c.add("ambient.ztunnel.revision", z.revision, tag
            ? `is a tag; ztunnel connects to one revision's istiod (istiod-<revision>), so it names a revision`
            : "is not a revision of this config",
            `name one of ${names.join(", ") || "the revisions"}${tag ? ` (the tag points at ${tag.revision})` : ""}`);
    }
    let version: string | undefined = revision?.version;
    if (z.version !== undefined) {
        const parsed = parseVersion(z.version);
        if (!parsed) {
            c.add("ambient.ztunnel.version", z.version, "is not an exact Istio version x.y.z", `write e.g. "1.30.2", or remove it to follow ztunnel's revision (${revisionName ?? "its revision"})`);
        }
        version = parsed?.raw;
        if (version) {
            advisePrerelease(c, "ambient.ztunnel.version", version);
        }
    }
    if (version && revision) {
        const skew = checkNodeAgentSkew("ztunnel", version, { revision: revision.name, version: revision.version });
        if (!skew.ok) {
            c.add(z.version !== undefined ? "ambient.ztunnel.version" : "ambient.ztunnel.revision", z.version ?? revisionName, skew.reason,
                `keep ztunnel within one minor below ambient.ztunnel.revision's control plane (${revision.name}: ${revision.version}), never above it`);
        }
    }
    const before = previous?.ambient?.ztunnel.version;
    if (version && before) {
        const inPlace = checkInPlaceChange(before, version);
        if (!inPlace.ok) {
            c.add("ambient.ztunnel.version", version, `ztunnel runs ${before} now and has no canary (one DaemonSet, upgraded in place): ${inPlace.reason.replace(/; .*$/, "")}`,
                `move ztunnel one minor at a time: ${before} -> the next minor, then the one after, each with its control plane`);
        }
    }
    const durations = ["drainTimeout", "readyTimeout"] as const;
    for (const key of durations) {
        if (z[key] !== undefined && parseDuration(z[key]) === undefined) {
            c.add(`ambient.ztunnel.${key}`, z[key], "is not a positive duration", `write e.g. "5m" or "90s"`);
        }
    }
    if (z.pauseBetween !== undefined && parseDuration(z.pauseBetween, { zero: true }) === undefined) {
        c.add("ambient.ztunnel.pauseBetween", z.pauseBetween, "is not a duration", `write e.g. "30s" or "1m" ("0s": no pause)`);
    }
    if (z.nodesAtOnce !== undefined && z.nodesAtOnce < 1) {
        c.add("ambient.ztunnel.nodesAtOnce", z.nodesAtOnce, "must be at least 1", "e.g. nodesAtOnce: 1 (one node at a time)");
    }
    const rollout: ZtunnelRollout = z.rollout ?? ZTUNNEL_DEFAULTS.rollout;
    if (rollout === "rolling") {
        for (const key of ["nodesAtOnce", "cordon", "drain", "drainTimeout", "pauseBetween"].filter(k => z[k] !== undefined)) {
            c.add(`ambient.ztunnel.${key}`, z[key], "is a setting of the node-by-node rollout, but ambient.ztunnel.rollout is rolling (the DaemonSet's own update)",
                `set ambient.ztunnel.rollout: nodeByNode, or remove ambient.ztunnel.${key}`);
        }
    }
    if (z.drain === true && z.cordon === false) {
        c.add("ambient.ztunnel.cordon", false, "is false while drain is true: a drained node that is not cordoned takes new pods at once",
            "remove ambient.ztunnel.cordon (default true), or set drain: false");
    }
    const namespaces: string[] = raw.namespaces ?? [];
    const sidecar = new Set(sidecarNamespaces.map(n => n.name));
    namespaces.forEach((ns, i) => {
        const key = `ambient.namespaces[${i}]`;
        if (!isDnsLabel(ns)) {
            c.add(key, ns, "is not a valid namespace name", "write the namespace's name, e.g. shop");
        } else if (ns === istioNamespace) {
            c.add(key, ns, "is the istio namespace, which runs the control plane, not applications", "remove it");
        } else if (sidecar.has(ns)) {
            c.add(key, ns, `is also in namespaces (sidecars, ${sidecarNamespaces.find(n => n.name === ns)!.target}): a namespace runs sidecars or ambient, not both`,
                `to move it to ambient, remove istio-mesh:namespaces.${ns}; to keep its sidecars, remove it from ambient.namespaces`);
        } else if (namespaces.indexOf(ns) !== i) {
            c.add(key, ns, "is listed twice", "list each namespace once");
        }
    });
    if (!version || !revision || !revisionName) {
        return undefined;
    }
    return {
        namespaces: [...new Set(namespaces)].sort(),
        ztunnel: {
            version, revision: revisionName, values: z.values ?? {}, rollout,
            nodesAtOnce: z.nodesAtOnce ?? ZTUNNEL_DEFAULTS.nodesAtOnce,
            cordon: z.cordon ?? (rollout === "nodeByNode" && ZTUNNEL_DEFAULTS.cordon),
            drain: z.drain ?? ZTUNNEL_DEFAULTS.drain,
            drainTimeout: z.drainTimeout ?? ZTUNNEL_DEFAULTS.drainTimeout,
            readyTimeout: z.readyTimeout ?? ZTUNNEL_DEFAULTS.readyTimeout,
            pauseBetween: z.pauseBetween ?? ZTUNNEL_DEFAULTS.pauseBetween,
        },
    };
}

/** istio-cni in ambient mode serves ztunnel's control plane: the same skew rule (checked once the CNI version is known). */
export function checkAmbientCni(c: Collector, cniVersion: string, ambient: AmbientSpec, revisions: readonly RevisionSpec[]): void {
    const revision = revisions.find(r => r.name === ambient.ztunnel.revision)!;
    const skew = checkNodeAgentSkew("istio-cni", cniVersion, { revision: revision.name, version: revision.version });
    if (!skew.ok) {
        c.add("cni.version", cniVersion, skew.reason,
            `in ambient mode istio-cni follows ztunnel's control plane (${revision.name}: ${revision.version}); remove cni.version to follow ztunnel (${ambient.ztunnel.version})`);
    }
}
