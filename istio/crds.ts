/**
 * Istio's CRDs as one bundle, applied by one step outside the engine's resources (components/base.ts).
 *
 * Why: the 15 CRDs of the base chart carry about 500 KB of OpenAPI schemas. As engine resources they cost every
 * preview seconds of diffing and logging, changed or not, and an upgrade's preview showed 15 schema diffs where a
 * reviewer wants to read "CRDs 1.30 -> 1.31". As a bundle, the step's inputs are its version and digest.
 */
import { createHash } from "crypto";
import * as yaml from "js-yaml";

export const CRD_KIND = "CustomResourceDefinition";

/** The CRDs of one Istio version, ready for `kubectl apply`. */
export interface CrdBundle {
    /** The CRDs' names, sorted. */
    readonly names: readonly string[];
    /** The CRDs as one multi-document YAML, in name order. */
    readonly yaml: string;
    /** The first 16 hex digits of the sha256 of `yaml`: a change of content shows in the preview even at one version. */
    readonly digest: string;
}

interface KubeObject {
    apiVersion?: string;
    kind?: string;
    metadata?: { name?: string };
}

function isCrd(o: unknown): o is KubeObject & { metadata: { name: string } } {
    const obj = o as KubeObject | null;
    return !!obj && obj.kind === CRD_KIND && (obj.apiVersion ?? "").startsWith("apiextensions.k8s.io/") && !!obj.metadata?.name;
}

/**
 * The documents of a multi-document YAML manifest, each with its text as rendered, split at bare `---` lines as
 * `istioctl manifest generate` and Helm print them.
 */
function documents(manifest: string): { text: string; object: unknown }[] {
    return manifest.split(/^---[ \t]*$/m)
        // loadAll: a piece holding only a comment (or nothing) is no document, not an error.
        .map(text => ({ text, object: yaml.loadAll(text)[0] }))
        .filter(d => d.object !== null && d.object !== undefined);
}

/** The objects of a multi-document YAML manifest (istioctl's output, a ConfigGroup's `yaml`), empty documents left out. */
export function manifestObjects(manifest: string): unknown[] {
    return yaml.loadAll(manifest).filter(o => o !== null && o !== undefined);
}

/** The manifest without its CRDs, every other document kept as rendered. */
export function manifestWithoutCrds(manifest: string): string {
    return documents(manifest).filter(d => !isCrd(d.object)).map(d => d.text.trim()).join("\n---\n") + "\n";
}

/** The digest of a bundle's YAML: the first 16 hex digits of its sha256. */
export function crdDigest(text: string | Uint8Array): string {
    return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/**
 * The CRDs among `objects` (a rendered base chart). `source` names the render in the error when there are none: a
 * base chart always has them, so none means the chart source is not Istio's base chart.
 */
export function crdBundle(objects: readonly unknown[], source: string): CrdBundle {
    const crds = objects.filter(isCrd).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    if (crds.length === 0) {
        throw new Error(`${source} rendered no ${CRD_KIND}, and Istio's base chart holds the mesh's CRDs: ` +
            `point istio-mesh:charts (localDir, repository or istioctl) at Istio's own release of that version`);
    }
    const text = crds.map(c => yaml.dump(c, { noRefs: true, lineWidth: -1 })).join("---\n");
    return {
        names: crds.map(c => c.metadata.name),
        yaml: text,
        digest: crdDigest(text),
    };
}
