/**
 * The kubectl steps, run by bash against a fake kubectl that records its arguments: what they restart, when
 * they refuse, and what they tell the operator.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterEnvironment, NAMESPACE_PREFLIGHT_SCRIPT, RESTART_ON_CHANGE_SCRIPT, RESTART_SCRIPT, RETIREMENT_GUARD_SCRIPT } from "../../components/kubectl";

const FAKE_KUBECTL = `#!/bin/bash
echo "$*" >> "$FAKE_LOG"
args=" $* "
case "$args" in
  *" get deployments,statefulsets,daemonsets "*) printf '%s' "\${FAKE_WORKLOADS:-}" | tr ',' '\\n' ;;
  *" rollout status "*) [[ "$args" == *"\${FAKE_STUCK:-none}"* ]] && exit 1 || exit 0 ;;
  *" get pods "*) printf '%s' "\${FAKE_PODS:-}" | tr ',' '\\n' ;;
  *" get namespace "*) for a in "$@"; do case "$a" in get|namespace|-o|name|--ignore-not-found|--context|\${KUBE_CONTEXT:-none}) ;; *) [[ " \${FAKE_MISSING:-} " == *" $a "* ]] || echo "namespace/$a" ;; esac; done ;;
esac
exit 0
`;

let dir: string;

function runScript(script: string, env: Record<string, string>) {
    const log = path.join(dir, `log-${Math.random()}`);
    fs.writeFileSync(log, "");
    const result = spawnSync("/bin/bash", ["-c", script], {
        env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_LOG: log, ...env },
        encoding: "utf8",
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls: fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) };
}

describe("kubectl steps", () => {
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-kubectl-"));
        fs.writeFileSync(path.join(dir, "kubectl"), FAKE_KUBECTL, { mode: 0o755 });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const restartEnv = { NAMESPACE: "shop", REVISION: "1-30", VERSION: "1.30.2", TIMEOUT: "90s" };

    it("restart: restarts every workload of the namespace and waits for each", () => {
        const r = runScript(RESTART_SCRIPT, { ...restartEnv, FAKE_WORKLOADS: "deployment.apps/web,statefulset.apps/db" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(r.calls, [
            "get deployments,statefulsets,daemonsets -n shop -o name",
            "rollout restart deployment.apps/web -n shop",
            "rollout restart statefulset.apps/db -n shop",
            "rollout status deployment.apps/web -n shop --timeout=90s",
            "rollout status statefulset.apps/db -n shop --timeout=90s",
        ]);
        assert.match(r.stdout, /namespace shop now on 1-30 \(1\.30\.2\); restarted: deployment.apps\/web statefulset.apps\/db/);
    });

    it("restart: an empty namespace is fine", () => {
        const r = runScript(RESTART_SCRIPT, restartEnv);
        assert.strictEqual(r.code, 0);
        assert.match(r.stdout, /no workloads to restart/);
    });

    it("restart: a stuck rollout fails, naming the workload, the timeout and the config key", () => {
        const r = runScript(RESTART_SCRIPT, { ...restartEnv, FAKE_WORKLOADS: "deployment.apps/web,deployment.apps/api", FAKE_STUCK: "deployment.apps/api" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /deployment.apps\/api in namespace shop did not finish restarting onto revision 1-30 \(1\.30\.2\) within 90s/);
        assert.match(r.stderr, /istio-mesh:restartTimeout.*istio-mesh:namespaces\.shop/);
    });

    it("restart on change: nothing restarts when the previous run already restarted onto the same revision", () => {
        const r = runScript(RESTART_ON_CHANGE_SCRIPT, { ...restartEnv, FAKE_WORKLOADS: "deployment.apps/web",
            PULUMI_COMMAND_STDOUT: "namespace shop now on 1-30 (1.30.2); restarted: deployment.apps/web" });
        assert.strictEqual(r.code, 0);
        assert.deepStrictEqual(r.calls, []);
        assert.match(r.stdout, /unchanged, no restart/);
    });

    it("restart on change: restarts when the revision differs from the previous run's", () => {
        const r = runScript(RESTART_ON_CHANGE_SCRIPT, { ...restartEnv, FAKE_WORKLOADS: "deployment.apps/web",
            PULUMI_COMMAND_STDOUT: "namespace shop now on 1-29 (1.29.3); restarted: deployment.apps/web" });
        assert.strictEqual(r.code, 0);
        assert.ok(r.calls.includes("rollout restart deployment.apps/web -n shop"));
    });

    it("uses the provider's context", () => {
        const r = runScript(RESTART_SCRIPT, { ...restartEnv, KUBE_CONTEXT: "staging" });
        assert.deepStrictEqual(r.calls, ["--context staging get deployments,statefulsets,daemonsets -n shop -o name"]);
    });

    it("retirement guard: refuses while running pods carry the revision, naming them", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", FAKE_PODS: "shop/web-1,cart/api-2" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /revision 1-29 still serves 2 running pod\(s\), so its istiod is not deleted/);
        assert.match(r.stderr, /shop\/web-1/);
        assert.match(r.stderr, /cart\/api-2/);
        assert.match(r.calls[0], /get pods -A -l istio.io\/rev=1-29,app!=istiod --field-selector=status.phase!=Succeeded,status.phase!=Failed/);
    });

    it("retirement guard: lets an unused revision go", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29" });
        assert.strictEqual(r.code, 0);
        assert.match(r.stdout, /serves no running pods/);
    });

    it("retirement guard: can be skipped explicitly (stack destroy)", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", FAKE_PODS: "shop/web-1", ISTIO_MESH_SKIP_RETIREMENT_GUARD: "1" });
        assert.strictEqual(r.code, 0);
        assert.deepStrictEqual(r.calls, []);
    });

    it("namespace preflight: all namespaces exist, the legacy label goes from all, in two kubectl calls", () => {
        const r = runScript(NAMESPACE_PREFLIGHT_SCRIPT, { NAMESPACES: "cart shop" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(r.calls, ["get namespace cart shop -o name --ignore-not-found", "label namespace cart shop istio-injection-"]);
        assert.match(r.stdout, /2 namespaces exist/);
    });

    it("namespace preflight: missing namespaces fail, all named, nothing labelled, the program never creates them", () => {
        const r = runScript(NAMESPACE_PREFLIGHT_SCRIPT, { NAMESPACES: "cart shop search", FAKE_MISSING: "shop search" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /these namespaces do not exist: shop search\./);
        assert.match(r.stderr, /never creates them.*remove them from istio-mesh:namespaces/);
        assert.strictEqual(r.calls.length, 1);
    });

    it("cluster environment carries kubeconfig and context only when set", () => {
        assert.deepStrictEqual(clusterEnvironment({}), {});
        assert.deepStrictEqual(clusterEnvironment({ kubeconfig: "/k", context: "c" }), { KUBECONFIG: "/k", KUBE_CONTEXT: "c" });
    });
});
