/**
 * Keys whose change on a live stack replaces the Kubernetes provider (every object deleted and created again) or
 * moves the mesh: refused unless `acknowledge.<key>` names the new value. The previous `up` records where the
 * mesh was (`placement` in its meshState), so the next run can tell.
 */
import * as path from "path";
import { Collector } from "./problems";
import { Disk, PreviousState } from "./spec";

/** Where the mesh runs, as recorded in meshState. */
export interface Placement {
    readonly istioNamespace: string;
    /** Render mode's directory; "" when applied to a cluster. */
    readonly renderDirectory: string;
    /** The kubeconfig context; "" for the kubeconfig's current one. */
    readonly context: string;
}

const CONSEQUENCE: Readonly<Record<keyof Placement, string>> = {
    renderDirectory: "replaces the Kubernetes provider: every object of the mesh is deleted and created again (and the retirement guards run)",
    istioNamespace: "moves the control planes to another namespace under running workloads: every istiod, webhook and gateway is replaced",
    context: "points the Kubernetes provider at another cluster: the mesh is created there and deleted from the one it runs on",
};

/**
 * Checks the render directory: a directory of its own, since the provider writes (and removes) files in it. As
 * written (`.`, `./`, `a/..`, `/`, a parent, `~`), and with `disk`, as it resolves (an absolute path or a symbolic
 * link to the project or a directory above it).
 */
export function checkRenderDirectory(c: Collector, dir: string | undefined, disk?: Disk): void {
    if (dir === undefined) {
        return;
    }
    const fix = "name a dedicated directory, e.g. ./rendered or /tmp/istio-mesh-render";
    const normal = path.normalize(`${dir}${path.sep}`);
    if (normal === path.parse(normal).root || normal === `.${path.sep}` || normal.split(path.sep).includes("..") || /^~/.test(dir)) {
        c.add("renderDirectory", dir, "is not a directory of its own (the root, the project itself, a parent, or an unexpanded ~)", fix);
        return;
    }
    const real = disk?.realpath(path.resolve(disk.projectDir, dir));
    if (disk && real !== undefined) {
        const project = disk.realpath(disk.projectDir) ?? path.resolve(disk.projectDir);
        const below = path.relative(real, project);
        if (below.split(path.sep)[0] !== ".." && !path.isAbsolute(below)) {
            const where = below === "" ? `the project directory itself (${real})` : `${real}, a directory above the project`;
            c.add("renderDirectory", dir, `is ${where}: not a directory of its own`, fix);
        }
    }
}

/**
 * A changed placement on a stack that has run: refused unless acknowledged with the new value.
 * `acknowledge` holds the config's `acknowledge` map.
 */
export function checkPlacement(c: Collector, now: Placement, previous: PreviousState | undefined, acknowledge: Record<string, unknown>,
                               decommission = false): void {
    const before = previous?.placement;
    if (!before) {
        return;
    }
    if (before.renderDirectory === "" && now.renderDirectory !== "" && acknowledge.renderDirectory === now.renderDirectory && !decommission) {
        // The destroy lock is a live stack's resource only: render mode would delete it, and the engine refuses.
        c.add("decommission", decommission, "must be true to leave live mode: every object of the mesh is deleted from the cluster, and the destroy lock refuses that",
            "set istio-mesh:decommission to true for this up (README, Safety), or remove renderDirectory");
    }
    for (const key of Object.keys(CONSEQUENCE) as (keyof Placement)[]) {
        if (before[key] === now[key] || acknowledge[key] === now[key]) {
            continue;
        }
        const configKey = key === "context" ? "kubernetes.context" : key;
        if (c.problems.some(p => p.key.endsWith(`:${configKey}`))) {
            continue; // already refused for its value
        }
        c.add(configKey, now[key], `changes from ${JSON.stringify(before[key])} on a stack that has run; this ${CONSEQUENCE[key]}`,
            `revert it to ${JSON.stringify(before[key])}, or accept exactly this change with acknowledge.${key}: ${JSON.stringify(now[key])}`);
    }
}
