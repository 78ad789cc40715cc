/**
 * The step that awaits istiod's Deployment of a Gateway (GATEWAY_ROLLOUT_SCRIPT), run by bash against a stub kubectl
 * whose Deployment is re-deployed by "istiod" after a given number of reads.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GATEWAY_ROLLOUT_SCRIPT } from "../../components/kubectl";

/** A kubectl that answers the Deployment's template as `<rev> <image>`: the old one for the first `switchAfter` reads. */
const STUB = `#!/usr/bin/env bash
echo "$*" >> "$STUB_DIR/calls"
case "$*" in
  *" get deployment "*)
    n=$(grep -c " get deployment " "$STUB_DIR/calls")
    if [ "$n" -le "$SWITCH_AFTER" ]; then echo -n "$OLD"; else echo -n "$NEW"; fi ;;
  *" rollout status "*) [ -z "$ROLLOUT_FAILS" ] || { echo "error: deployment exceeded its progress deadline" >&2; exit 1; }; echo "successfully rolled out" ;;
esac
`;

function run(env: Record<string, string>): { status: number | null; stdout: string; stderr: string; calls: string[] } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gateway-rollout-"));
    try {
        fs.writeFileSync(path.join(dir, "kubectl"), STUB, { mode: 0o755 });
        // Every sleep is recorded (and slept): what the step waits for, in order with its kubectl calls.
        fs.writeFileSync(path.join(dir, "sleep"), `#!/usr/bin/env bash\necho "sleep $*" >> "$STUB_DIR/calls"\nexec ${spawnSync("bash", ["-c", "command -v sleep"], { encoding: "utf8" }).stdout.trim()} "$@"\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "calls"), "");
        const r = spawnSync("bash", ["-c", GATEWAY_ROLLOUT_SCRIPT], {
            encoding: "utf8",
            env: {
                PATH: `${dir}:${process.env.PATH}`, STUB_DIR: dir, NAMESPACE: "shop", GATEWAY: "storefront", DEPLOYMENT: "storefront-istio",
                REVISION: "1-31", VERSION: "1.31.0", PROXY_TAG: "1.31.0", ISTIO_NAMESPACE: "istio-system", TIMEOUT: "4s", TIMEOUT_SECONDS: "4",
                OLD: "1-30 registry.example.com/istio/proxyv2:1.30.2", NEW: "1-31 registry.example.com/istio/proxyv2:1.31.0", SWITCH_AFTER: "0", ...env,
            },
        });
        const calls = fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
        return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("the Gateway rollout step (bash, stub kubectl)", function () {
    this.timeout(20000);

    it("waits until the new revision's istiod has re-deployed the Gateway, then for its rollout", () => {
        const r = run({ SWITCH_AFTER: "1" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stdout, /gateway shop\/storefront \(Deployment storefront-istio\) rolled out from istiod-1-31/);
        assert.strictEqual(r.calls.filter(c => c.includes(" get deployment storefront-istio")).length, 2, "read again until re-deployed");
        assert.ok(r.calls.some(c => /-n shop rollout status deployment\/storefront-istio --timeout=\d+s/.test(c)), r.calls.join("\n"));
    });

    it("a Deployment of the right revision but the old proxy (an in-place upgrade not yet re-rendered) is waited for", () => {
        const r = run({ OLD: "1-31 registry.example.com/istio/proxyv2:1.30.2", SWITCH_AFTER: "1" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.calls.filter(c => c.includes(" get deployment ")).length, 2);
    });

    it("fails within its timeout, naming the revision and image it saw and where to look", () => {
        const r = run({ SWITCH_AFTER: "1000" });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /istiod-1-31 did not deploy gateway shop\/storefront \(Deployment storefront-istio\) within 4s: its pods run revision '1-30' with image 'registry\.example\.com\/istio\/proxyv2:1\.30\.2', not 1-31 with tag 1\.31\.0/);
        assert.match(r.stderr, /kubectl -n shop describe gateway storefront/);
        assert.ok(!r.calls.some(c => c.includes("rollout status")), "no rollout awaited");
    });

    it("a rollout that does not finish fails the step, saying the next gateways were not moved", () => {
        const r = run({ ROLLOUT_FAILS: "1" });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /did not roll out within 4s:\n {2}error: deployment exceeded its progress deadline\nIts next gateways were not moved/);
    });

    it("pauses after the rollout when told (before the next wave)", () => {
        const r = run({ PAUSE_SECONDS: "2" });
        assert.strictEqual(r.status, 0, r.stderr);
        const last = r.calls.slice(-2);
        assert.match(last[0], /rollout status deployment\/storefront-istio/);
        assert.strictEqual(last[1], "sleep 2", "the pause comes after the rollout");
        assert.match(run({}).calls.slice(-1)[0], /rollout status/, "no pause by default");
    });
});
