/**
 * The bash kubectl steps (CRDs, retirement guard, namespace preflight), run against a fake kubectl that records its
 * arguments and fails on cue: when they refuse, and what they tell the operator. The restart step has its own
 * tests (rolloutStep.spec.ts).
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterEnvironment, crdFile, CRDS_APPLY_SCRIPT, NAMESPACE_PREFLIGHT_SCRIPT, RETIREMENT_GUARD_SCRIPT } from "../../components/kubectl";

const FAKE_KUBECTL = `#!/bin/bash
echo "$*" >> "$FAKE_LOG"
args=" $* "
case "$args" in
  *" get pods "*) [ -z "\${FAKE_FAIL_PODS:-}" ] || { echo "connection refused" >&2; exit 1; }; printf '%s' "\${FAKE_PODS:-}" | tr ';' '\\n' | tr '|' '\\t' ;;
  *" label namespace "*) [ -z "\${FAKE_FAIL_LABEL:-}" ] || { echo 'namespaces "shop" is forbidden: User cannot patch resource' >&2; exit 1; } ;;
  *" apply "*) [ -z "\${FAKE_FAIL_APPLY:-}" ] || { echo 'customresourcedefinitions.apiextensions.k8s.io is forbidden: User cannot patch resource' >&2; exit 1; }; echo "customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io serverside-applied" ;;
  *" wait "*) [ -z "\${FAKE_FAIL_WAIT:-}" ] || { echo 'timed out waiting for the condition on customresourcedefinitions/virtualservices.networking.istio.io' >&2; exit 1; } ;;
  *" get namespace "*) for a in "$@"; do case "$a" in get|namespace|-o|name|--ignore-not-found|--request-timeout=*|--context|\${KUBE_CONTEXT:-none}) ;; *) [[ " \${FAKE_MISSING:-} " == *" $a "* ]] || echo "namespace/$a" ;; esac; done ;;
esac
exit 0
`;

let dir: string;

function runScript(script: string, env: Record<string, string>, cwd?: string) {
    const log = path.join(dir, `log-${Math.random()}`);
    fs.writeFileSync(log, "");
    const result = spawnSync("/bin/bash", ["-c", script], {
        cwd,
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

    /** A project (Pulumi.yaml, the program's CRD file of 1.31.0) and a directory inside it, where `pulumi` may run. */
    function project(withFile: boolean): { root: string; sub: string; env: Record<string, string> } {
        const root = fs.mkdtempSync(path.join(dir, "project-"));
        fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: istio-mesh\n");
        if (withFile) {
            fs.mkdirSync(path.dirname(path.join(root, crdFile("1.31.0", "0123456789abcdef"))), { recursive: true });
            fs.writeFileSync(path.join(root, crdFile("1.31.0", "0123456789abcdef")), "kind: CustomResourceDefinition\n");
        }
        fs.mkdirSync(path.join(root, "sub"));
        return { root, sub: path.join(root, "sub"), env: { CRDS_VERSION: "1.31.0", CRDS_DIGEST: "0123456789abcdef", CRDS_COUNT: "15 CRDs", KUBE_CONTEXT: "kind-mesh" } };
    }

    it("crds step: applies the program's file server-side from the project's root, taking over fields, then waits until Established", () => {
        const p = project(true);
        const r = runScript(CRDS_APPLY_SCRIPT, { ...p.env, KUBE_REQUEST_TIMEOUT: "45s" }, p.sub);
        assert.strictEqual(r.code, 0, r.stderr);
        const file = crdFile("1.31.0", "0123456789abcdef");
        // Each API request bounded (istio-mesh:kubernetes.requestTimeout), the wait as a whole by its own --timeout.
        assert.deepStrictEqual(r.calls, [
            `--context kind-mesh --request-timeout=45s apply --server-side --force-conflicts --field-manager=istio-mesh -f ${file}`,
            `--context kind-mesh --request-timeout=45s wait --for=condition=Established --timeout=2m -f ${file}`,
        ]);
        assert.match(r.stdout, /CRDs of Istio 1\.31\.0 applied and established \(15 CRDs, digest 0123456789abcdef\)/);
    });

    it("crds step: a missing file applies nothing and says how to recover", () => {
        const p = project(false);
        const r = runScript(CRDS_APPLY_SCRIPT, p.env, p.sub);
        assert.strictEqual(r.code, 1);
        assert.deepStrictEqual(r.calls, []);
        assert.match(r.stderr, /\.istio-mesh\/crds\/1\.31\.0-0123456789abcdef\.yaml \(the CRDs of Istio 1\.31\.0\) is missing[\s\S]*Run 'pulumi up' again/);
    });

    it("crds step: a failed apply fails the step with kubectl's words, before any wait", () => {
        const p = project(true);
        const r = runScript(CRDS_APPLY_SCRIPT, { ...p.env, FAKE_FAIL_APPLY: "1" }, p.root);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.calls.length, 1);
        assert.match(r.stderr, /applying the CRDs of Istio 1\.31\.0 failed[\s\S]*is forbidden[\s\S]*No control plane was changed/);
    });

    it("crds step: CRDs that never become Established fail the step", () => {
        const p = project(true);
        const r = runScript(CRDS_APPLY_SCRIPT, { ...p.env, FAKE_FAIL_WAIT: "1" }, p.root);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /were applied but are not Established after 2m[\s\S]*timed out waiting[\s\S]*status\.conditions[\s\S]*run 'pulumi up' again/);
    });

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
        assert.deepStrictEqual(r.calls, ["--request-timeout=30s get namespace cart shop -o name --ignore-not-found", "--request-timeout=30s label namespace cart shop istio-injection-"]);
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

    it("cluster environment carries kubeconfig and context only when set, and always the request timeout", () => {
        assert.deepStrictEqual(clusterEnvironment({}), { KUBE_REQUEST_TIMEOUT: "30s" });
        assert.deepStrictEqual(clusterEnvironment({ kubeconfig: "/k", context: "c", requestTimeout: "1m" }), { KUBECONFIG: "/k", KUBE_CONTEXT: "c", KUBE_REQUEST_TIMEOUT: "1m" });
    });
});
