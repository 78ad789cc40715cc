import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { MINIMUM_PULUMI, pulumiCliProblem } from "../../plan/pulumi-cli";

const fakes: string[] = [];

/** A PATH holding only a fake `pulumi` that prints `version` (none when undefined), plus what `sh` needs. */
function pathWith(version?: string): NodeJS.ProcessEnv {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-fake-pulumi-"));
    fakes.push(dir);
    if (version) {
        fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
    }
    return { ...process.env, PATH: dir };
}

describe("plan: the pulumi CLI check", () => {
    after(() => fakes.splice(0).forEach(dir => fs.rmSync(dir, { recursive: true, force: true })));

    it("says in one line what to install when there is no pulumi on PATH", () => {
        const problem = pulumiCliProblem(pathWith());
        assert.match(problem!, /^no working pulumi CLI on PATH \(ENOENT\): install it .*npm run toolchain/);
        assert.ok(!problem!.includes("\n"));
    });

    it("names the version and the minimum when pulumi is too old", () => {
        assert.strictEqual(pulumiCliProblem(pathWith("v3.100.0")),
            `pulumi v3.100.0 is too old (${MINIMUM_PULUMI} or newer is needed): install it (https://www.pulumi.com/docs/iac/download-install/), ` +
            "or use the offline toolchain's: npm run toolchain, then put ~/.cache/istio-mesh-toolchain/bin first on PATH");
    });

    it("accepts the toolchain's version", () => {
        assert.strictEqual(pulumiCliProblem(pathWith("v3.259.0")), undefined);
    });
});
