/**
 * The files of the `crds` step under the project's `.istio-mesh/crds/` (git-ignored): each CRD bundle, named by its
 * version and digest, which the step applies; and what each Helm render of a base chart gave, so a run whose base
 * chart, values and provider are those of an earlier run reuses its bundle instead of rendering the chart again.
 *
 * Why remember renders: the provider's `helm template` answers with every CRD schema as nested properties (some 900 KB),
 * which the CLI's automatic log writes property by property on every run: about 1.2 s of each preview, before any
 * control plane can be registered (they wait for the step). Changed config renders again.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { CrdBundle, crdDigest } from "../istio";
import { crdFile } from "./kubectl";
import { projectRoot, writeWhole } from "./projectFiles";

/** Writes the bundle where the `crds` step reads it (content-addressed: an existing file is the same). */
export function writeCrdFile(bundle: CrdBundle, version: string): void {
    const file = path.join(projectRoot(), crdFile(version, bundle.digest));
    if (!fs.existsSync(file)) {
        writeWhole(file, bundle.yaml);
    }
}

/** The digest of every file under a local chart directory (paths and contents); undefined when it does not exist. */
export function chartDirectoryDigest(dir: string): string | undefined {
    const files = (d: string): string[] => fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))
        .flatMap(e => e.isDirectory() ? files(path.join(d, e.name)) : [path.join(d, e.name)]);
    if (!fs.existsSync(dir)) {
        return undefined;
    }
    const hash = createHash("sha256");
    for (const file of files(dir)) {
        hash.update(`${path.relative(dir, file)}\0`).update(fs.readFileSync(file)).update("\0");
    }
    return hash.digest("hex");
}

/**
 * What a base chart's render depends on, as a key: the provider's `helm template` options (chart, version, repository
 * or directory, release name, namespace, values), the contents of a local chart directory, and the provider's
 * version (its Helm). A version published in a repository is taken as immutable, as Helm's own chart cache takes it.
 */
export function crdRenderKey(templateOptions: Record<string, unknown>, chartDirectory: string | undefined, providerVersion: string): string {
    return createHash("sha256").update(JSON.stringify({ templateOptions, chartDirectory, providerVersion })).digest("hex").slice(0, 16);
}

/** What a render left, under its key. */
interface RememberedRender {
    version: string;
    names: readonly string[];
    digest: string;
}

/** Where what each render gave is kept, under the project's root. */
export const CRD_RENDERS = path.join(".istio-mesh", "crds", "renders");

const renderFile = (key: string) => path.join(projectRoot(), CRD_RENDERS, `${key}.json`);

/** Records what the render under `key` gave. */
export function rememberCrds(key: string, version: string, bundle: CrdBundle): void {
    writeWhole(renderFile(key), JSON.stringify({ version, names: bundle.names, digest: bundle.digest } satisfies RememberedRender));
}

/**
 * The CRDs' names and digest of an earlier render under `key`, when its bundle file is still there with that digest;
 * undefined otherwise (never rendered, or a file removed or changed since): the chart is rendered again.
 */
export function rememberedCrds(key: string, version: string): Pick<CrdBundle, "names" | "digest"> | undefined {
    try {
        const r = JSON.parse(fs.readFileSync(renderFile(key), "utf8")) as RememberedRender;
        const bundle = fs.readFileSync(path.join(projectRoot(), crdFile(version, r.digest)));
        return r.version === version && Array.isArray(r.names) && crdDigest(bundle) === r.digest ? { names: r.names, digest: r.digest } : undefined;
    } catch {
        return undefined;
    }
}
