/** What a Helm render of the base chart depends on, so a run reuses an earlier render only when nothing of it changed. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chartDirectoryDigest, crdRenderKey } from "../../components/crdFiles";
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
