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

/** The folder of the bundles, under the project's root. */
const CRDS_DIR = path.posix.dirname(crdFile("v", "d"));
/** Where what each render gave is kept, under the project's root. */
export const CRD_RENDERS = path.join(CRDS_DIR, "renders");

const renderFile = (key: string) => path.join(projectRoot(), CRD_RENDERS, `${key}.json`);

/** Records what the render under `key` gave. */
export function rememberCrds(key: string, version: string, bundle: CrdBundle): void {
    writeWhole(renderFile(key), JSON.stringify({ version, names: bundle.names, digest: bundle.digest } satisfies RememberedRender));
}

/**
 * The CRDs' names and digest of an earlier render under `key`, when its bundle file is still there with that digest;
 * undefined otherwise (never rendered, or a file removed or changed since): the chart is rendered again. A record
 * used is marked as used now (its modification time), which is what pruning keeps by.
 */
export function rememberedCrds(key: string, version: string): Pick<CrdBundle, "names" | "digest"> | undefined {
    try {
        const r = JSON.parse(fs.readFileSync(renderFile(key), "utf8")) as RememberedRender;
        const bundle = fs.readFileSync(path.join(projectRoot(), crdFile(version, r.digest)));
        if (r.version !== version || !Array.isArray(r.names) || crdDigest(bundle) !== r.digest) {
            return undefined;
        }
        const now = new Date();
        fs.utimesSync(renderFile(key), now, now);
        return { names: r.names, digest: r.digest };
    } catch {
        return undefined;
    }
}

/** How many render records pruning keeps, the most recently used, with the bundles they name. */
export const KEPT_RENDERS = 8;
/** Files younger than this are never pruned: another run in this project (another stack) may be about to read them. */
export const PRUNE_GRACE_MS = 60 * 60 * 1000;

/** A file under `.istio-mesh/crds/`, as pruning sees it. */
export interface CrdDirEntry {
    /** Relative to `.istio-mesh/crds/`: `<version>-<digest>.yaml`, `renders/<key>.json`, or a write's temporary file. */
    file: string;
    mtimeMs: number;
    /** For a render record: the bundle it names (relative to `.istio-mesh/crds/`), when it could be read. */
    bundle?: string;
}

/**
 * Which files of `.istio-mesh/crds/` to delete so that it does not grow with every version and values ever rendered:
 * render records beyond the KEPT_RENDERS most recently used; bundles that no kept record names, other than `inUse`
 * (this run's); temporary files of interrupted writes. Nothing younger than PRUNE_GRACE_MS, nor any file it does
 * not know. What is deleted is only a cache: a run that needs it renders the chart again. So the folder holds at
 * most KEPT_RENDERS + 1 bundles (about 0.9 MB each for Istio's 15 CRDs), plus what the last hour wrote.
 */
export function crdFilesToPrune(entries: readonly CrdDirEntry[], inUse: string, now: number): string[] {
    const old = (e: CrdDirEntry) => now - e.mtimeMs > PRUNE_GRACE_MS;
    const renders = entries.filter(e => /^renders\/[0-9a-f]+\.json$/.test(e.file)).sort((a, b) => b.mtimeMs - a.mtimeMs);
    const kept = renders.filter((e, i) => i < KEPT_RENDERS || !old(e));
    const named = new Set([inUse, ...kept.map(e => e.bundle)]);
    return [
        ...renders.filter(e => !kept.includes(e)),
        ...entries.filter(e => /^[^/]+\.yaml$/.test(e.file) && !named.has(e.file) && old(e)),
        ...entries.filter(e => /\.(yaml|json)\.\d+$/.test(e.file) && old(e)),
    ].map(e => e.file);
}

/** Prunes `.istio-mesh/crds/` (crdFilesToPrune), keeping this run's bundle: the CRDs of `version` with `digest`. */
export function pruneCrdFiles(version: string, digest: string, now = Date.now()): void {
    const dir = path.join(projectRoot(), CRDS_DIR);
    const list = (sub: string) => fs.readdirSync(path.join(dir, sub), { withFileTypes: true }).filter(e => e.isFile()).map(e => path.posix.join(sub, e.name));
    let files: string[];
    try {
        files = [...list(""), ...(fs.existsSync(path.join(dir, "renders")) ? list("renders") : [])];
    } catch {
        return;
    }
    const entries = files.flatMap((file): CrdDirEntry[] => {
        try {
            const mtimeMs = fs.statSync(path.join(dir, file)).mtimeMs;
            if (!file.startsWith("renders/") || !file.endsWith(".json")) {
                return [{ file, mtimeMs }];
            }
            const r = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as RememberedRender;
            return [{ file, mtimeMs, bundle: path.posix.basename(crdFile(r.version, r.digest)) }];
        } catch {
            return [{ file, mtimeMs: 0 }];
        }
    });
    for (const file of crdFilesToPrune(entries, path.posix.relative(CRDS_DIR, crdFile(version, digest)), now)) {
        fs.rmSync(path.join(dir, file), { force: true });
    }
}
