/**
 * What the program says besides its plan: an internal error as one (with where it happened), and the config's
 * advisories as warnings.
 */
import * as assert from "assert";
import * as util from "util";
import * as pulumi from "@pulumi/pulumi";
import { internalError } from "../../program";
import { ProgramError, runProgram } from "../support/mocks";

const PREFIX = "istio-mesh: internal error (a bug in istio-mesh, please report it): ";
const config = { revisions: [{ version: "1.30.2" }], tags: { default: "1-30" }, namespaces: { shop: "default" } };

describe("program: internal errors", () => {
    it("an error that is not the program's own says it is a bug, and keeps its stack", () => {
        const cause = new TypeError("Cannot read properties of null (reading 'version')");
        const e = internalError(cause);
        assert.strictEqual(e.message, `${PREFIX}TypeError: Cannot read properties of null (reading 'version')`);
        const frames = e.stack!.split("\n").slice(1);
        assert.deepStrictEqual(frames, cause.stack!.split("\n").slice(1));
        assert.ok(frames.length > 0 && frames.every(f => /^\s+at /.test(f)), e.stack);
        // What Pulumi prints for an error that is not a RunError: the stack, message first.
        assert.ok(util.inspect(e).startsWith(`${e.message}\n    at `), util.inspect(e));
    });

    it("a thrown value that is not an Error, or an error without frames, says no stack was recorded", () => {
        const bare = new RangeError("Invalid array length");
        bare.stack = "RangeError: Invalid array length";
        for (const [thrown, text] of [[bare, "RangeError: Invalid array length"], ["a string", "a string"]] as const) {
            assert.strictEqual(internalError(thrown).stack, `${PREFIX}${text}\n    (no stack recorded)`);
        }
    });

    it("a crash while validating config surfaces as an internal error with where it happened", async () => {
        const parse = require("../../model/config/parse");
        const real = parse.parseMeshConfig;
        parse.parseMeshConfig = function crashingParse() {
            return (null as any).version;
        };
        try {
            await assert.rejects(runProgram(config), (e: ProgramError) => {
                assert.ok(e.message.startsWith(`${PREFIX}TypeError: Cannot read properties of null`), e.message);
                assert.match(e.stack!, /\n {4}at crashingParse \(.*diagnostics\.spec\.ts:\d+:\d+\)\n {4}at validate \(.*program\.ts:/);
                assert.deepStrictEqual(e.registered, []);
                return true;
            });
        } finally {
            parse.parseMeshConfig = real;
        }
    });

    it("the program's own errors pass as they are: the config's problems, without a stack", async () => {
        await assert.rejects(runProgram({ revisions: [null] }), (e: Error) => {
            assert.match(e.message, /^invalid istio-mesh stack config \(1 problem\):\n {2}- istio-mesh:revisions\[0\] = null: is an item with no value/);
            assert.ok(pulumi.RunError.isInstance(e), "a RunError: Pulumi prints its message alone");
            return true;
        });
    });
});

describe("program: the config's advisories", () => {
    /** What the program warns of under mocks (the SDK prints warnings to the console when no engine listens). */
    async function warnings(run: () => Promise<unknown>): Promise<string[]> {
        const seen: string[] = [];
        const warn = console.warn;
        console.warn = (...args: unknown[]) => {
            seen.push(args.join(" "));
        };
        try {
            await run();
        } finally {
            console.warn = warn;
        }
        return seen;
    }

    it("a prerelease of Istio is applied, with a warning naming the key and the advice", async () => {
        const prerelease = { ...config, revisions: [{ version: "1.30.4-dev.9739e10e" }], cni: { enabled: true, version: "1.30.4-dev.9739e10e" } };
        const seen = await warnings(async () => {
            const run = await runProgram(prerelease);
            assert.ok(run.resources.some(r => r.name === "istiod-1-30" && r.inputs.version === "1.30.4-dev.9739e10e"));
        });
        assert.deepStrictEqual(seen, [
            "warning: [runtime] istio-mesh stack config (2 warnings):\n" +
            "  - istio-mesh:revisions[0].version = \"1.30.4-dev.9739e10e\": is a prerelease build of Istio, which Istio does not support. " +
            "Advice: use a released version (x.y.z, https://istio.io/latest/news/releases/) in production.\n" +
            "  - istio-mesh:cni.version = \"1.30.4-dev.9739e10e\": is a prerelease build of Istio, which Istio does not support. " +
            "Advice: use a released version (x.y.z, https://istio.io/latest/news/releases/) in production.",
        ]);
    });

    it("released versions warn of nothing", async () => {
        assert.deepStrictEqual(await warnings(() => runProgram({ ...config, cni: { enabled: true } })), []);
    });
});
