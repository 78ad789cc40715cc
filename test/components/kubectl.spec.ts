/**
 * The bash kubectl steps (retirement guard, namespace preflight), run against a fake kubectl that records its
 * arguments and fails on cue: when they refuse, and what they tell the operator. The restart step has its own
 * tests (rolloutStep.spec.ts).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterEnvironment, NAMESPACE_PREFLIGHT_SCRIPT, RETIREMENT_GUARD_SCRIPT } from "../../components/kubectl";

const FAKE_KUBECTL = `#!/bin/bash
echo "$*" >> "$FAKE_LOG"
args=" $* "
case "$args" in
  *" get pods "*) [ -z "\${FAKE_FAIL_PODS:-}" ] || { echo "connection refused" >&2; exit 1; }; printf '%s' "\${FAKE_PODS:-}" | tr ';' '\\n' | tr '|' '\\t' ;;
  *" label namespace "*) [ -z "\${FAKE_FAIL_LABEL:-}" ] || { echo 'namespaces "shop" is forbidden: User cannot patch resource' >&2; exit 1; } ;;
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

    // Pod listing lines, ';'-separated: "<ns>/<name>|<istio.io/rev label>|<sidecar.istio.io/status>" ('|' stands for a tab).
    const status = (rev: string) => JSON.stringify({ initContainers: ["istio-proxy"], revision: rev });
    it("retirement guard: refuses while running pods were injected by the revision (status annotation, no label), naming them", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29",
            FAKE_PODS: `shop/web-1||${status("1-29")};cart/api-2||${status("1-29")};search/s-1||${status("1-29-b")};other/o-1||` });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /revision 1-29 still serves 2 running pod\(s\), so its istiod is not deleted/);
        assert.match(r.stderr, /shop\/web-1/);
        assert.match(r.stderr, /cart\/api-2/);
        assert.doesNotMatch(r.stderr, /search\/s-1|other\/o-1/, "another revision's and uninjected pods do not count");
        assert.match(r.calls[0], /get pods -A -l app!=istiod --field-selector=status.phase!=Succeeded,status.phase!=Failed/);
    });

    it("retirement guard: pods labelled with the revision (gateways) count too", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", FAKE_PODS: "istio-ingress/gw-1|1-29|" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /still serves 1 running pod\(s\)[\s\S]*istio-ingress\/gw-1/);
    });

    it("retirement guard: a failed listing keeps istiod and says why", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", FAKE_FAIL_PODS: "1" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /listing pods to check that revision 1-29 serves none failed \(kubectl get pods -A\); its istiod is kept/);
    });

    it("retirement guard: lets an unused revision go", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29" });
        assert.strictEqual(r.code, 0);
        assert.match(r.stdout, /serves no running pods/);
    });

    it("retirement guard: can be skipped explicitly (stack destroy)", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", FAKE_PODS: `shop/web-1||${status("1-29")}`, ISTIO_MESH_SKIP_RETIREMENT_GUARD: "1" });
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

    it("namespace preflight: a failed label removal fails the step, naming the namespaces and the command", () => {
        const r = runScript(NAMESPACE_PREFLIGHT_SCRIPT, { NAMESPACES: "cart shop", FAKE_FAIL_LABEL: "1" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /removing the istio-injection label from namespaces cart shop failed \(kubectl label namespace \.\.\. istio-injection-\)/);
        assert.match(r.stderr, /forbidden/);
    });

    it("cluster environment carries kubeconfig and context only when set", () => {
        assert.deepStrictEqual(clusterEnvironment({}), {});
        assert.deepStrictEqual(clusterEnvironment({ kubeconfig: "/k", context: "c" }), { KUBECONFIG: "/k", KUBE_CONTEXT: "c" });
    });
});
