/**
 * 10,000 bound namespaces of 40-character names: what reaches the kubectl steps must not go through environment
 * variables, which the kernel limits to 128 KiB each (MAX_ARG_STRLEN): the namespace list alone is 410 KB.
 */
import * as assert from "assert";
import * as path from "path";
import { ROLLOUT_STEP_COMMAND } from "../../components/rolloutStep";
import { workload } from "../support/cluster";
import { ofType, runProgram, TYPES } from "../support/mocks";
import { StubCluster } from "../support/stubKubectl";

const REPO = path.join(__dirname, "..", "..");
/** The kernel's limit for one environment variable ("NAME=value"), execve's MAX_ARG_STRLEN. */
const MAX_VARIABLE = 128 * 1024;
const NAMES = Array.from({ length: 10_000 }, (_, i) => `team-${String(i).padStart(5, "0")}-${"x".repeat(29)}`);

describe("10,000 namespaces of 40-character names reach the kubectl steps through stdin, not the environment", function () {
    this.timeout(600_000);

    it("under mocks: the restart request (one line per namespace) is the step's stdin, and no variable of any step's environment reaches the limit", async () => {
        assert.ok(NAMES.every(n => n.length === 40));
        // The SDK prints the program's messages (10,000 warnings) on the console under mocks: not in the test's report.
        const { log, error } = console;
        console.log = console.error = () => undefined;
        let run;
        try {
            run = await runProgram({ revisions: [{ version: "1.30.2" }], namespaces: Object.fromEntries(NAMES.map(n => [n, "1-30"])) },
                undefined, {}, undefined, {},
                // One Deployment per namespace, its pod without a sidecar: every namespace restarts.
                { namespaceLabels: Object.fromEntries(NAMES.map(n => [n, "1-30"])), objects: NAMES.flatMap(n => workload(n, "web")) });
        } finally {
            Object.assign(console, { log, error });
        }
        const step = ofType(run, TYPES.command).find(c => c.name === "workload-restarts")!;
        const lines = step.inputs.stdin.split("\n");
        assert.deepStrictEqual(lines.map((l: string) => l.split(" ")[0]), NAMES);
        assert.ok(lines.every((l: string) => l.endsWith(" 1-30 1-30@1.30.2 Deployment/web@1")), lines[0]);
        const variables = ofType(run, TYPES.command).flatMap(c => Object.entries((c.inputs.environment ?? {}) as Record<string, string>)
            .map(([k, v]) => ({ step: c.name, k, bytes: Buffer.byteLength(`${k}=${v}`), namesANamespace: v.includes(NAMES[0]) })));
        assert.ok(variables.some(v => v.step === "namespace-preflight"), "the preflight is among the steps checked");
        assert.deepStrictEqual(variables.filter(v => v.bytes >= MAX_VARIABLE || v.namesANamespace), [], "no namespace list in any environment");
    });

    it("the step's own script (ROLLOUT_STEP_COMMAND) reads all 10,000 from stdin: it restarts the first wave and names every namespace left when the next fails", () => {
        const [first, second] = NAMES;
        const stub = new StubCluster({
            namespaces: Object.fromEntries(NAMES.map(n => [n, "1-30"])),
            injectors: { "1-30": "1-30@1.30.2" },
            objects: [...workload(first, "web"), ...workload(second, "web")],
        });
        try {
            const request = NAMES.map(n => `${n} 1-30 1-30@1.30.2 Deployment/web@1`).join("\n");
            const r = stub.exec(["/bin/bash", "-c", ROLLOUT_STEP_COMMAND], { TIMEOUT: "90s", STUB_FAIL: ` get namespace ${second} ` }, REPO, request);
            assert.strictEqual(r.code, 1, r.stderr.slice(0, 2000));
            assert.match(r.stdout, new RegExp(`^wave 1/10000: ${first} -> 1-30 \\(1\\.30\\.2\\)\n  ${first}: restarting deployment/web`));
            const left = /not reached, left for the next 'pulumi up': (.*)\. Workloads/.exec(r.stderr)?.[1].split(", ");
            assert.deepStrictEqual(left, NAMES.slice(2));
            assert.ok(stub.calls.some(c => c.endsWith(`-n ${first} rollout status deployment/web --timeout=90s`)), stub.calls.join("\n"));
        } finally {
            stub.dispose();
        }
    });
});
