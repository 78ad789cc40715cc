/**
 * The real engine's `pulumi preview` of a large mesh in render mode (`renderDirectory`: the Kubernetes provider writes
 * manifests instead of calling a cluster, so no cluster is needed): two revisions of the toolchain's Istio versions,
 * the default tag, N namespaces, on an empty stack (every resource a create, each checked by its provider). Needs
 * pulumi, the plugins and the charts of the offline toolchain.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { LocalProject, toolchainEnv } from "../demo/local";
import { RawConfig } from "../model/config";

/** The toolchain targets this figure needs (demo/local.ts toolchainMissing). */
export const RENDER_NEEDS = /^(pulumi|pulumi-language-nodejs|pulumi-resource-kubernetes|pulumi-resource-command|charts-.*)$/;

export interface RenderPreview { namespaces: number; ms: number; creates: number; error?: string }

/** One timed preview per size (after an untimed one at the first size, which warms the caches). */
export function renderPreviews(sizes: readonly number[], log: (line: string) => void): RenderPreview[] {
    const env = toolchainEnv();
    const [OLD, NEW] = [env.ISTIO_MESH_ISTIO_OLD!, env.ISTIO_MESH_ISTIO_NEW!];
    const [oldRev, newRev] = [OLD, NEW].map(v => v.split(".").slice(0, 2).join("-"));
    const project = LocalProject.create("render", env);
    try {
        const config = (n: number): RawConfig => ({
            kubernetesVersion: "1.34",
            registry: { hub: "registry.example.com/istio" },
            charts: { localDir: `${env.ISTIO_MESH_CHARTS}/{version}` },
            renderDirectory: path.join(project.dir, "rendered"),
            revisions: [{ version: OLD }, { version: NEW }],
            tags: { default: oldRev },
            namespaces: Object.fromEntries(Array.from({ length: n }, (_, i) => [`app-${String(i).padStart(5, "0")}`, i % 2 ? newRev : "default"])),
        });
        const preview = (n: number): RenderPreview => {
            project.setConfig(config(n));
            const t0 = Date.now();
            const r = spawnSync("pulumi", ["preview", "--non-interactive"], { cwd: project.dir, env: project.env, encoding: "utf8", maxBuffer: 1 << 30 });
            const ms = Date.now() - t0;
            if (r.status !== 0) {
                throw new Error(`pulumi preview (render mode, ${n} namespaces) failed (${r.status}):\n${(r.stdout ?? "").slice(-3000)}\n${(r.stderr ?? "").slice(-3000)}`);
            }
            return { namespaces: n, ms, creates: Number(/(\d+) to create/.exec(r.stdout ?? "")?.[1] ?? -1) };
        };
        preview(sizes[0]);
        return sizes.map(n => {
            try {
                const p = preview(n);
                log(`render-mode preview of ${n} namespaces: ${(p.ms / 1000).toFixed(1)} s, ${p.creates} to create`);
                return p;
            } catch (e) {
                // The first line of the engine's diagnostic says why (e.g. the config passed to node in one variable).
                const error = (/error: (.*)/.exec(String((e as Error).message))?.[1] ?? String(e)).slice(0, 400);
                log(`render-mode preview of ${n} namespaces FAILED: ${error}`);
                return { namespaces: n, ms: NaN, creates: -1, error };
            }
        });
    } finally {
        project.dispose();
    }
}
