/** What the program says besides its plan: the config's advisories, as warnings. */
import * as assert from "assert";
import { runProgram } from "../support/mocks";

const config = { revisions: [{ version: "1.30.2" }], tags: { default: "1-30" }, namespaces: { shop: "default" } };

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
