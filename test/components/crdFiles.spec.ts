/** What a Helm render of the base chart depends on, so a run reuses an earlier render only when nothing of it changed. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chartDirectoryDigest, CRD_RENDERS, CrdDirEntry, crdFilesToPrune, crdRenderKey, KEPT_RENDERS, PRUNE_GRACE_MS } from "../../components/crdFiles";
import { crdFile } from "../../components/kubectl";
import { runProgram } from "../support/mocks";

const made: string[] = [];

/** A chart directory with a Chart.yaml and a CRD file. */
function chartDir(crds = "kind: CustomResourceDefinition\n"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-chart-"));
    made.push(dir);
    fs.mkdirSync(path.join(dir, "base", "files"), { recursive: true });
    fs.writeFileSync(path.join(dir, "base", "Chart.yaml"), "name: base\nversion: 1.29.3\n");
    fs.writeFileSync(path.join(dir, "base", "files", "crd-all.gen.yaml"), crds);
    return dir;
}

describe("crdFiles: the key of a base chart's render", () => {
    after(() => made.forEach(dir => fs.rmSync(dir, { recursive: true, force: true })));

    it("a local chart directory's digest follows its files' contents and names, not where it is", () => {
        const [a, b] = [chartDir(), chartDir()];
        assert.strictEqual(chartDirectoryDigest(path.join(a, "base")), chartDirectoryDigest(path.join(b, "base")));
        fs.appendFileSync(path.join(b, "base", "files", "crd-all.gen.yaml"), "# one more line\n");
        assert.notStrictEqual(chartDirectoryDigest(path.join(a, "base")), chartDirectoryDigest(path.join(b, "base")));
        const c = chartDir();
        fs.renameSync(path.join(c, "base", "files", "crd-all.gen.yaml"), path.join(c, "base", "files", "crds.yaml"));
        assert.notStrictEqual(chartDirectoryDigest(path.join(a, "base")), chartDirectoryDigest(path.join(c, "base")));
        assert.strictEqual(chartDirectoryDigest(path.join(a, "missing")), undefined);
    });

    it("the key changes with the template options, the chart directory's digest and the provider's version", () => {
        const options = { release_name: "base", namespace: "istio-system", values: { defaultRevision: "1-29" }, path: "/charts/1.29.3/base" };
        const key = crdRenderKey(options, "d1", "4.32.0");
        assert.match(key, /^[0-9a-f]{16}$/);
        assert.strictEqual(crdRenderKey({ ...options }, "d1", "4.32.0"), key);
        assert.notStrictEqual(crdRenderKey({ ...options, values: { defaultRevision: "1-30" } }, "d1", "4.32.0"), key);
        assert.notStrictEqual(crdRenderKey(options, "d2", "4.32.0"), key);
        assert.notStrictEqual(crdRenderKey(options, undefined, "4.32.0"), key);
        assert.notStrictEqual(crdRenderKey(options, "d1", "4.33.0"), key);
    });

    it("under mocks: a local chart edited in place is rendered again, an unchanged one is not", async () => {
        const dir = chartDir();
        // localDir without {version}: the directory holds the charts of every version.
        const config = { revisions: [{ version: "1.29.3" }], charts: { localDir: dir } };
        const templates = async () => (await runProgram(config)).calls.filter(c => c.token === "kubernetes:helm:template").length;
        assert.strictEqual(await templates(), 1);
        assert.strictEqual(await templates(), 0);
        fs.appendFileSync(path.join(dir, "base", "files", "crd-all.gen.yaml"), "# patched\n");
        assert.strictEqual(await templates(), 1);
    });
});

describe("crdFiles: pruning .istio-mesh/crds/ (crdFilesToPrune)", () => {
    const now = Date.parse("2026-12-05T12:00:00Z");
    const hoursAgo = (h: number) => now - h * 3_600_000;
    const render = (key: string, h: number, bundle?: string): CrdDirEntry => ({ file: `renders/${key}.json`, mtimeMs: hoursAgo(h), ...(bundle ? { bundle } : {}) });
    const bundle = (name: string, h: number): CrdDirEntry => ({ file: name, mtimeMs: hoursAgo(h) });
    /** Renders a0..a(n-1), a0 the most recently used, each naming its own bundle 1.30.<i>-d.yaml, all a day or more old. */
    const history = (n: number) => Array.from({ length: n }, (_, i) => [render(`a${i}`, 24 + i, `1.30.${i}-d.yaml`), bundle(`1.30.${i}-d.yaml`, 24 + i)]).flat();

    it("keeps everything while there are no more than KEPT_RENDERS records", () => {
        assert.deepStrictEqual(crdFilesToPrune(history(KEPT_RENDERS), "1.30.0-d.yaml", now), []);
    });

    it("beyond KEPT_RENDERS, deletes the least recently used records and the bundles only they named", () => {
        const pruned = crdFilesToPrune(history(KEPT_RENDERS + 2), "1.30.0-d.yaml", now).sort();
        assert.deepStrictEqual(pruned, [`1.30.${KEPT_RENDERS}-d.yaml`, `1.30.${KEPT_RENDERS + 1}-d.yaml`,
            `renders/a${KEPT_RENDERS + 1}.json`, `renders/a${KEPT_RENDERS}.json`].sort());
    });

    it("never deletes the bundle in use, nor a bundle a kept record names, however old", () => {
        const entries = [...history(KEPT_RENDERS + 2), render("5ba7ed", 40, `1.30.${KEPT_RENDERS + 1}-d.yaml`)];
        const pruned = crdFilesToPrune(entries, `1.30.${KEPT_RENDERS}-d.yaml`, now);
        assert.ok(!pruned.includes(`1.30.${KEPT_RENDERS}-d.yaml`), "in use");
        // 5ba7ed is among the KEPT_RENDERS most recently used records only if it is recent enough: at 40 h it is not.
        assert.ok(pruned.includes("renders/5ba7ed.json"));
        const recent = [...history(KEPT_RENDERS + 2), render("5ba7ed", 1.5, `1.30.${KEPT_RENDERS + 1}-d.yaml`)];
        assert.ok(!crdFilesToPrune(recent, "1.30.0-d.yaml", now).includes(`1.30.${KEPT_RENDERS + 1}-d.yaml`), "named by a kept record");
    });

    it("never deletes what the last hour wrote (another stack's run may be about to read it), nor files it does not know", () => {
        const young = now - PRUNE_GRACE_MS / 2;
        const entries = [...history(KEPT_RENDERS + 2), { file: "renders/cc01.json", mtimeMs: young }, { file: "1.31.0-e.yaml", mtimeMs: young },
            { file: "notes.txt", mtimeMs: 0 }, { file: "renders/README", mtimeMs: 0 }];
        const pruned = crdFilesToPrune(entries, "1.30.0-d.yaml", now);
        assert.ok(!pruned.includes("renders/cc01.json") && !pruned.includes("1.31.0-e.yaml"));
        assert.ok(!pruned.includes("notes.txt") && !pruned.includes("renders/README"));
        assert.ok(pruned.includes(`renders/a${KEPT_RENDERS + 1}.json`), "older records still go");
    });

    it("deletes the temporary files of interrupted writes once they are an hour old, and a bundle no record names", () => {
        const entries = [bundle("1.30.0-d.yaml.4242", 2), bundle("renders/k.json.4242", 2), bundle("1.30.1-d.yaml.77", 0.1), bundle("1.29.0-x.yaml", 3)];
        assert.deepStrictEqual(crdFilesToPrune(entries, "1.30.0-d.yaml", now).sort(), ["1.29.0-x.yaml", "1.30.0-d.yaml.4242", "renders/k.json.4242"].sort());
    });

    it("under mocks: a run deletes an old bundle no record names, and keeps its own", async () => {
        const root = path.join(__dirname, "..", "..");
        const stale = path.join(root, crdFile("0.0.1", "0000000000000000"));
        fs.mkdirSync(path.dirname(stale), { recursive: true });
        fs.writeFileSync(stale, "kind: CustomResourceDefinition\n");
        const past = new Date(Date.now() - 2 * PRUNE_GRACE_MS);
        fs.utimesSync(stale, past, past);
        const run = await runProgram({ revisions: [{ version: "1.29.3" }] });
        assert.strictEqual(fs.existsSync(stale), false);
        const crds = run.resources.find(r => r.name === "crds")!.inputs.environment;
        assert.ok(fs.existsSync(path.join(root, crdFile(crds.CRDS_VERSION, crds.CRDS_DIGEST))), "this run's bundle");
        assert.ok(fs.readdirSync(path.join(root, CRD_RENDERS)).length > 0);
    });
});
