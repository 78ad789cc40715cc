/**
 * The kubectl steps, run by bash against a fake kubectl that records its arguments: what they restart, when
 * they refuse, and what they tell the operator.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { bindingValue, bindingVariable, clusterEnvironment, NAMESPACE_PREFLIGHT_SCRIPT, RESTARTS_SCRIPT, RETIREMENT_GUARD_SCRIPT } from "../../components/kubectl";

const FAKE_KUBECTL = `#!/bin/bash
echo "$*" >> "$FAKE_LOG"
args=" $* "
case "$args" in
  *" get deployments,statefulsets,daemonsets "*) ns=\${args##* -n }; ns=\${ns%% *}; var="FAKE_WORKLOADS_\${ns//-/_}"; printf '%s' "\${!var:-}" | tr ',' '\\n' ;;
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

    const bind = (ns: string, rev: string, ver: string) => ({ [bindingVariable(ns)]: bindingValue(ns, rev, ver) });

    it("names one variable per namespace, dashes made underscores", () => {
        assert.deepStrictEqual(bind("shop-v2", "1-30", "1.30.2"), { BIND_shop_v2: "shop-v2 1-30 1.30.2" });
    });

    it("first run: restarts every workload of every bound namespace and waits for each", () => {
        const r = runScript(RESTARTS_SCRIPT, { TIMEOUT: "90s", ...bind("shop", "1-30", "1.30.2"), ...bind("cart", "1-29", "1.29.3"),
            FAKE_WORKLOADS_shop: "deployment.apps/web,statefulset.apps/db", FAKE_WORKLOADS_cart: "deployment.apps/api" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(r.calls, [
            "get deployments,statefulsets,daemonsets -n cart -o name",
            "rollout restart deployment.apps/api -n cart",
            "get deployments,statefulsets,daemonsets -n shop -o name",
            "rollout restart deployment.apps/web -n shop",
            "rollout restart statefulset.apps/db -n shop",
            "rollout status deployment.apps/api -n cart --timeout=90s",
            "rollout status deployment.apps/web -n shop --timeout=90s",
            "rollout status statefulset.apps/db -n shop --timeout=90s",
        ]);
        assert.match(r.stdout, /namespace shop: restarting 2 workload\(s\) onto revision 1-30 \(1\.30\.2\)/);
        assert.match(r.stdout, /^bound cart 1-29 1\.29\.3$/m);
        assert.match(r.stdout, /^bound shop 1-30 1\.30\.2$/m);
    });

    it("next run: restarts exactly the namespace whose binding changed", () => {
        const previous = "namespace cart: restarting 1 workload(s)\nbound cart 1-29 1.29.3\nbound shop 1-29 1.29.3\n";
        const r = runScript(RESTARTS_SCRIPT, { TIMEOUT: "90s", ...bind("shop", "1-30", "1.30.2"), ...bind("cart", "1-29", "1.29.3"),
            FAKE_WORKLOADS_shop: "deployment.apps/web", FAKE_WORKLOADS_cart: "deployment.apps/api", PULUMI_COMMAND_STDOUT: previous });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.ok(!r.calls.some(c => c.includes("-n cart")), r.calls.join("\n"));
        assert.ok(r.calls.includes("rollout restart deployment.apps/web -n shop"));
    });

    it("an in-place version change restarts the namespaces on that revision", () => {
        const r = runScript(RESTARTS_SCRIPT, { TIMEOUT: "1m", ...bind("shop", "stable", "1.30.2"), FAKE_WORKLOADS_shop: "deployment.apps/web",
            PULUMI_COMMAND_STDOUT: "bound shop stable 1.29.3\n" });
        assert.ok(r.calls.includes("rollout restart deployment.apps/web -n shop"));
    });

    it("nothing changed (say, only the timeout): nothing restarts", () => {
        const r = runScript(RESTARTS_SCRIPT, { TIMEOUT: "10m", ...bind("shop", "1-30", "1.30.2"), FAKE_WORKLOADS_shop: "deployment.apps/web",
            PULUMI_COMMAND_STDOUT: "bound shop 1-30 1.30.2\n" });
        assert.strictEqual(r.code, 0);
        assert.deepStrictEqual(r.calls, []);
        assert.match(r.stdout, /nothing restarted/);
    });

    it("an empty namespace is fine", () => {
        const r = runScript(RESTARTS_SCRIPT, { TIMEOUT: "1m", ...bind("shop", "1-30", "1.30.2") });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /namespace shop: restarting 0 workload\(s\)/);
    });

    it("a stuck rollout fails, naming the workload, the timeout and the config keys", () => {
        const r = runScript(RESTARTS_SCRIPT, { TIMEOUT: "90s", ...bind("shop", "1-30", "1.30.2"),
            FAKE_WORKLOADS_shop: "deployment.apps/web,deployment.apps/api", FAKE_STUCK: "deployment.apps/api" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /deployment.apps\/api in namespace shop did not finish restarting onto revision 1-30 \(1\.30\.2\) within 90s/);
        assert.match(r.stderr, /istio-mesh:restartTimeout.*istio-mesh:namespaces\.shop/);
    });

    it("uses the provider's context", () => {
        const r = runScript(RESTARTS_SCRIPT, { TIMEOUT: "1m", ...bind("shop", "1-30", "1.30.2"), KUBE_CONTEXT: "staging" });
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
