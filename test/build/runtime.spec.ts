/**
 * The Node.js LTS the project runs on: one major in package.json `engines`, .nvmrc and the toolchain's `node` target,
 * and `tools/offline/toolchain.sh` using its own node only when the machine's is older. The machine's node is played
 * by a stub that answers the version query, so the script's choice is checked without installing anything.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.join(__dirname, "..", "..");
const TOOLCHAIN = path.join(REPO, "tools", "offline", "toolchain.sh");

/** A variable of tools/offline/toolchain.versions. */
function pinned(name: string): string {
    const line = fs.readFileSync(path.join(REPO, "tools", "offline", "toolchain.versions"), "utf8").match(new RegExp(`^${name}=(.*)$`, "m"));
    assert.ok(line, `${name} is not set in toolchain.versions`);
    return line[1];
}

describe("runtime: the Node.js LTS", () => {
    const dirs: string[] = [];
    /** The machine's commands but node (/usr/bin holds the machine's real node), linked into one directory. */
    let commands: string;
    before(() => {
        commands = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-runtime-bin-"));
        dirs.push(commands);
        for (const name of fs.readdirSync("/usr/bin").filter(n => n !== "node")) {
            fs.symlinkSync(path.join("/usr/bin", name), path.join(commands, name));
        }
    });
    after(() => dirs.forEach(d => fs.rmSync(d, { recursive: true, force: true })));

    /** Runs toolchain.sh with a machine whose only node reports `major`, and a cache that holds (or not) its own node. */
    function toolchain(args: string[], machineMajor: number | undefined, cached: boolean) {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-runtime-"));
        dirs.push(root);
        const machine = path.join(root, "machine");
        fs.mkdirSync(machine);
        if (machineMajor !== undefined) {
            fs.writeFileSync(path.join(machine, "node"), `#!/bin/sh\necho ${machineMajor}\n`, { mode: 0o755 });
        }
        const cache = path.join(root, "cache");
        if (cached) {
            fs.mkdirSync(path.join(cache, "node", "bin"), { recursive: true });
            fs.writeFileSync(path.join(cache, "node", "bin", "node"), "#!/bin/sh\n", { mode: 0o755 });
            fs.mkdirSync(path.join(cache, "bin", ".stamps"), { recursive: true });
            fs.writeFileSync(path.join(cache, "bin", ".stamps", "node"), `${pinned("NODE_VERSION")}\n`);
        }
        const r = spawnSync("/bin/bash", [TOOLCHAIN, ...args], {
            encoding: "utf8", env: { PATH: `${machine}:${commands}`, HOME: root, ISTIO_MESH_TOOLCHAIN: cache },
        });
        return { ...r, cache };
    }

    it("package.json engines, .nvmrc and the toolchain name one major, and the pinned version is of it", () => {
        const major = pinned("NODE_MAJOR");
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8"));
        assert.strictEqual(pkg.engines.node, `>=${major}`);
        assert.strictEqual(fs.readFileSync(path.join(REPO, ".nvmrc"), "utf8").trim(), major);
        assert.strictEqual(pinned("NODE_VERSION").split(".")[0], major);
        const policies = JSON.parse(fs.readFileSync(path.join(REPO, "policies", "package.json"), "utf8"));
        assert.strictEqual(policies.engines?.node, `>=${major}`);
    });

    it("--env puts the cache's node first when the machine's is older", () => {
        const r = toolchain(["--env"], 20, true);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^export PATH='${r.cache}/node/bin:${r.cache}/bin':"\\$PATH"$`, "m"));
    });

    it("--env leaves the machine's node when it is the LTS or newer", () => {
        const major = Number(pinned("NODE_MAJOR"));
        for (const machine of [major, major + 2]) {
            const r = toolchain(["--env"], machine, true);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, new RegExp(`^export PATH='${r.cache}/bin':"\\$PATH"$`, "m"), `machine node ${machine}`);
        }
    });

    it("--check reports the LTS missing when the machine's node is older or absent, and not when it is recent", () => {
        const version = pinned("NODE_VERSION");
        for (const machine of [20, undefined]) {
            const r = toolchain(["--check"], machine, false);
            assert.notStrictEqual(r.status, 0);
            assert.match(r.stdout, new RegExp(`^missing: node ${version.replace(/\./g, "\\.")} \\(.*/node/bin/node\\)$`, "m"), `machine node ${machine}`);
        }
        assert.doesNotMatch(toolchain(["--check"], Number(pinned("NODE_MAJOR")), false).stdout, /^missing: node /m);
        assert.doesNotMatch(toolchain(["--check"], 20, true).stdout, /^missing: node /m);
    });

    it("--list names the node target only when the machine needs it", () => {
        assert.match(toolchain(["--list"], 20, false).stdout, /^node\s/m);
        assert.doesNotMatch(toolchain(["--list"], Number(pinned("NODE_MAJOR")), false).stdout, /^node\s/m);
    });
});
