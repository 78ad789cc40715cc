/** The preview shows the step once: one diagnostic, and no stack output that diffs against the previous plan. */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { describeStep } from "../../model/facts";
import { stackOutputs } from "../../program";
import { runProgram } from "../support/mocks";

const config = { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" }, namespaces: { shop: "1-30" } };

describe("the preview reads as one upgrade step", () => {
    let logged: string[] = [];
    const info = pulumi.log.info;
    beforeEach(() => {
        logged = [];
        (pulumi.log as { info: typeof info }).info = (message: string) => { logged.push(message); return Promise.resolve(); };
    });
    afterEach(() => {
        (pulumi.log as { info: typeof info }).info = info;
    });

    it("logs the plan once, each change numbered in the order up carries them out", async () => {
        const run = await runProgram(config);
        const steps = logged.filter(m => m.startsWith("istio-mesh: this step"));
        assert.strictEqual(steps.length, 1, logged.join("\n---\n"));
        assert.strictEqual(steps[0], describeStep(run.outputs.upgradePlan));
        assert.match(steps[0], /^istio-mesh: this step \(\d+ changes, in order\):\n {2}1\. CRDs: \(none\) -> 1\.30\.2, applied before any control plane\n {2}2\. add control plane 1-29 \(1\.29\.3\)\n {2}3\. add control plane 1-30 \(1\.30\.2\)/);
    });

    it("leaves the plan out of the stack outputs, keeping the recorded state", async () => {
        const run = await runProgram(config);
        const outputs = stackOutputs(run.outputs as Awaited<ReturnType<typeof import("../../program").run>>);
        assert.ok(!("upgradePlan" in outputs));
        assert.deepStrictEqual(Object.keys(outputs).sort(), ["meshState", "revisions"]);
    });

    it("says so when a step changes nothing", () => {
        assert.strictEqual(describeStep({ summary: [] } as any), "istio-mesh: this step changes nothing in the mesh");
    });
});
