/**
 * The config keys that name paths (charts.localDir, renderDirectory), checked against what is on disk: pure with a
 * stand-in disk, and through the real program with real directories and symbolic links.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigProblem, Disk, MeshConfigError, parseMeshConfig, RawConfig } from "../../model/config";
import { ProgramError, runProgram } from "../support/mocks";

const config: RawConfig = { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" }, namespaces: { shop: "default" } };

/** A disk holding these directories, and these symbolic links (path -> target), under the project /srv/mesh. */
function disk(directories: string[], links: Record<string, string> = {}): Disk {
    const resolve = (p: string): string => {
        for (const [link, target] of Object.entries(links)) {
            if (p === link || p.startsWith(`${link}/`)) {
                return resolve(target + p.slice(link.length));
            }
        }
        return p;
    };
    return {
        projectDir: "/srv/mesh",
        realpath: p => (directories.includes(resolve(path.resolve(p))) ? resolve(path.resolve(p)) : undefined),
        isDirectory: p => directories.includes(resolve(path.resolve(p))),
    };
}

function problems(raw: RawConfig, d?: Disk): readonly ConfigProblem[] {
    try {
        parseMeshConfig(raw, undefined, false, d);
        return [];
    } catch (e) {
        assert.ok(e instanceof MeshConfigError, `expected the config error, got ${e}`);
        return e.problems;
    }
}

describe("config paths against the disk (pure, with a stand-in disk)", () => {
    const parents = ["/", "/srv", "/srv/mesh"];

    it("charts.localDir: accepted when each version's directory is there, relative ones from the project", () => {
        assert.deepStrictEqual(problems({ ...config, charts: { localDir: "/charts/{version}" } }, disk([...parents, "/charts/1.29.3", "/charts/1.30.2"])), []);
        assert.deepStrictEqual(problems({ ...config, charts: { localDir: "charts/{version}" } }, disk([...parents, "/srv/mesh/charts/1.29.3", "/srv/mesh/charts/1.30.2"])), []);
    });

    it("charts.localDir: refused naming each version's directory that is not there", () => {
        const found = problems({ ...config, charts: { localDir: "/charts/{version}/" } }, disk([...parents, "/charts/1.29.3"]));
        assert.deepStrictEqual(found.map(p => [p.key, p.value]), [["istio-mesh:charts.localDir", "/charts/{version}/"]]);
        assert.match(found[0].message, /^names no directory at \/charts\/1\.30\.2\/$/);
        assert.match(found[0].fix, /unpack each version's charts there/);
    });

    it("charts.localDir: a CNI of another version needs its own directory too", () => {
        const found = problems({ revisions: [{ version: "1.30.2" }], cni: { enabled: true, version: "1.29.3" }, charts: { localDir: "/charts/{version}" } },
            disk([...parents, "/charts/1.30.2"]));
        assert.deepStrictEqual(found.map(p => p.message), ["names no directory at /charts/1.29.3"]);
    });

    it("charts.localDir: without a disk only the text is checked (one directory for several versions)", () => {
        assert.deepStrictEqual(problems({ ...config, charts: { localDir: "/nowhere/{version}" } }), []);
        const found = problems({ ...config, charts: { localDir: "/nowhere" } });
        assert.deepStrictEqual(found.map(p => p.key), ["istio-mesh:charts.localDir"]);
        assert.match(found[0].message, /has no \{version\}, so the charts of 1\.29\.3 and 1\.30\.2 would all come from one directory/);
    });

    it("renderDirectory: the project however spelled, or a directory above it, is refused", () => {
        const d = disk([...parents, "/srv/mesh/rendered", "/tmp"], { "/srv/mesh/self": "/srv/mesh", "/tmp/up": "/srv" });
        for (const dir of ["/srv/mesh", "/srv/mesh/", "/srv/mesh/./", "self", "./self/", "/srv/mesh/self", "/srv", "/tmp/up", "/tmp/up/mesh"]) {
            const found = problems({ ...config, renderDirectory: dir }, d);
            assert.deepStrictEqual(found.map(p => [p.key, p.value]), [["istio-mesh:renderDirectory", dir]], dir);
            assert.match(found[0].message, /^is (the project directory itself \(\/srv\/mesh\)|\/srv, a directory above the project): not a directory of its own$/, dir);
            assert.match(found[0].fix, /name a dedicated directory/);
        }
    });

    it("renderDirectory: a directory of its own is accepted, there or not yet", () => {
        const d = disk([...parents, "/srv/mesh/rendered", "/tmp"], { "/srv/mesh/self": "/srv/mesh" });
        for (const dir of ["rendered", "./rendered", "/srv/mesh/rendered", "/tmp/istio-mesh-render", "self/rendered", "/tmp"]) {
            assert.deepStrictEqual(problems({ ...config, renderDirectory: dir }, d), [], dir);
        }
    });
});

describe("config paths against the disk, through the real program", () => {
    let scratch: string;
    before(() => {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-paths-"));
    });
    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    const refused = (raw: RawConfig, key: string, message: RegExp) => assert.rejects(runProgram(raw), (e: ProgramError) => {
        assert.match(e.message, new RegExp(`istio-mesh:${key} = .*: ${message.source}`));
        assert.deepStrictEqual(e.registered, [], "registered before refusing");
        return true;
    });

    it("renderDirectory: a symbolic link to the project is refused", async () => {
        const link = path.join(scratch, "project-link");
        fs.symlinkSync(process.cwd(), link);
        await refused({ ...config, renderDirectory: link }, "renderDirectory", /is the project directory itself/);
        await refused({ ...config, renderDirectory: `${link}/` }, "renderDirectory", /is the project directory itself/);
    });

    it("charts.localDir: a version's directory missing is refused; with both there the charts come from them", async () => {
        fs.mkdirSync(path.join(scratch, "charts", "1.29.3"), { recursive: true });
        const raw = { ...config, charts: { localDir: path.join(scratch, "charts", "{version}") } };
        await refused(raw, "charts.localDir", /names no directory at \S*\/1\.30\.2\. Fix/);
        fs.mkdirSync(path.join(scratch, "charts", "1.30.2"));
        const run = await runProgram(raw);
        assert.ok(run.resources.some(r => r.name === "istiod-1-30" && r.inputs.chart === path.join(scratch, "charts", "1.30.2", "istiod")));
    });
});
