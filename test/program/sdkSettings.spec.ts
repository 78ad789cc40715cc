/** The runtime settings index.ts applies before the program runs (program.ts). */
import * as assert from "assert";
import { dropSdkDebugMessages } from "../../program";

describe("program: the SDK's debug messages", () => {
    /** A stand-in for @pulumi/pulumi/log whose debug records what would have gone to the engine. */
    const fakeLog = () => {
        const sent: string[] = [];
        return { sent, log: { debug: async (msg: string) => { sent.push(msg); } } };
    };

    it("are not sent to the engine", async () => {
        const { sent, log } = fakeLog();
        dropSdkDebugMessages(log, {});
        await log.debug("Registering resource: t=kubernetes:core/v1:NamespacePatch, name=namespace-shop");
        assert.deepStrictEqual(sent, []);
    });

    it("are sent as before with ISTIO_MESH_SDK_DEBUG=1", async () => {
        const { sent, log } = fakeLog();
        dropSdkDebugMessages(log, { ISTIO_MESH_SDK_DEBUG: "1" });
        await log.debug("Registering resource: t=kubernetes:core/v1:NamespacePatch, name=namespace-shop");
        assert.deepStrictEqual(sent, ["Registering resource: t=kubernetes:core/v1:NamespacePatch, name=namespace-shop"]);
    });

    it("go through the module every SDK file calls, so the default replaces the SDK's own", () => {
        const log = require("@pulumi/pulumi/log");
        const original = log.debug;
        try {
            dropSdkDebugMessages(undefined, {});
            assert.notStrictEqual(log.debug, original);
            // runtime/resource.js reaches it through its own import of ../log: the same module object.
            assert.strictEqual(require("@pulumi/pulumi").log, log);
        } finally {
            log.debug = original;
        }
    });
});
