/** The benchmark's manual paths (bench/manual.ts): what the runbook's loop runs, and what an undo may delete. */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { objectsOf, runbookScript } from "../../bench/manual";

describe("bench: the runbook's loop (runbookScript)", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-runbook-"));
        // A kubectl that logs its arguments, lists two Deployments per namespace, and fails on cue.
        fs.writeFileSync(path.join(dir, "kubectl"), `#!/bin/bash
echo "$*" >> "${dir}/calls"
if [ -n "\${FAIL:-}" ] && [[ "$*" == *"$FAIL"* ]]; then exit 1; fi
if [ "$1" = get ]; then printf 'deployment.apps/web\\ndeployment.apps/api\\n'; fi
`, { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
    const loop = (namespaces: string[], parallel: number, env: Record<string, string> = {}) =>
        spawnSync("bash", ["-c", runbookScript("1-31", parallel)], { input: namespaces.join("\n") + "\n", encoding: "utf8",
            env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...env } });
    const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");

    it("per namespace, in order: both labels, the restart, then the status of each Deployment", () => {
        assert.strictEqual(loop(["a", "b"], 1).status, 0);
        const of = (ns: string) => [`label namespace ${ns} istio-injection- --overwrite`, `label namespace ${ns} istio.io/rev=1-31 --overwrite`,
            `rollout restart deployment -n ${ns}`, `get deploy -n ${ns} -o name`,
            `rollout status deployment.apps/web -n ${ns} --timeout=300s`, `rollout status deployment.apps/api -n ${ns} --timeout=300s`];
        assert.deepStrictEqual(calls(), [...of("a"), ...of("b")]);
    });

    it("five at a time covers every namespace once, and a failed call fails the loop", () => {
        const names = Array.from({ length: 12 }, (_, i) => `ns-${i}`);
        assert.strictEqual(loop(names, 5).status, 0);
        assert.deepStrictEqual(calls().filter(c => c.startsWith("rollout restart")).map(c => c.split(" ").pop()).sort(), [...names].sort());
        assert.notStrictEqual(loop(["x"], 5, { FAIL: "rollout status deployment.apps/api -n x" }).status, 0);
    });
});

describe("bench: objectsOf", () => {
    const manifest = "apiVersion: v1\nkind: Namespace\nmetadata: {name: istio-system}\n---\nkind: CustomResourceDefinition\nmetadata: {name: a.istio.io}\n" +
        "---\nkind: Deployment\nmetadata: {name: istiod-1-31}\n---\n# a comment only\n";
    const kinds = (yaml: string) => [...yaml.matchAll(/^kind: (\w+)/gm)].map(m => m[1]);
    it("keeps the kinds asked for, or (except) everything else: an undo never deletes a Namespace", () => {
        assert.deepStrictEqual(kinds(objectsOf(manifest, ["CustomResourceDefinition"])), ["CustomResourceDefinition"]);
        assert.deepStrictEqual(kinds(objectsOf(manifest, ["Namespace", "CustomResourceDefinition"], true)), ["Deployment"]);
    });
});
