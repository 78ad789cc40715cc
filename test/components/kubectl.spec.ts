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
import {
    clusterAccessFile, clusterEnvironment, crdFile, CRDS_APPLY_SCRIPT, LEGACY_INJECTION_APPLY_SCRIPT, LEGACY_INJECTION_RESTORE_SCRIPT,
    NAMESPACE_PREFLIGHT_SCRIPT, RETIREMENT_GUARD_SCRIPT,
} from "../../components/kubectl";

const FAKE_KUBECTL = `#!/bin/bash
echo "$*" >> "$FAKE_LOG"
echo "\${KUBECONFIG:-(ambient)}" >> "$FAKE_LOG.kubeconfig"
args=" $* "
case "$args" in
  *" get pods "*) [ -z "\${FAKE_FAIL_PODS:-}" ] || { echo "connection refused" >&2; exit 1; }; printf '%s' "\${FAKE_PODS:-}" | tr ';' '\\n' | tr '|' '\\t' ;;
  *" label namespace "*) [ -z "\${FAKE_FAIL_LABEL:-}" ] || { echo 'namespaces "shop" is forbidden: User cannot patch resource' >&2; exit 1; } ;;
  *" apply "*) [ -z "\${FAKE_FAIL_APPLY:-}" ] || { echo 'customresourcedefinitions.apiextensions.k8s.io is forbidden: User cannot patch resource' >&2; exit 1; }; echo "customresourcedefinition.apiextensions.k8s.io/virtualservices.networking.istio.io serverside-applied" ;;
  *" wait "*) [ -z "\${FAKE_FAIL_WAIT:-}" ] || { echo 'timed out waiting for the condition on customresourcedefinitions/virtualservices.networking.istio.io' >&2; exit 1; } ;;
  *" get namespaces -o jsonpath="*) [ -z "\${FAKE_FAIL_LIST:-}" ] || { echo "connection refused" >&2; exit 1; }; printf '%s' "\${FAKE_NS_STATE:-}" | tr ';' '\n'; [ -z "\${FAKE_NS_STATE_FILE:-}" ] || tr ';' '\n' < "$FAKE_NS_STATE_FILE" ;;
  *" get namespaces "*) for ns in \${FAKE_NAMESPACES:-}; do echo "namespace/$ns"; done; [ -z "\${FAKE_NAMESPACES_FILE:-}" ] || sed 's#^#namespace/#' "$FAKE_NAMESPACES_FILE" ;;
  *" get namespace "*) for a in "$@"; do case "$a" in get|namespace|-o|name|--ignore-not-found|--request-timeout=*|--context|\${KUBE_CONTEXT:-none}) ;; *) [[ " \${FAKE_MISSING:-} " == *" $a "* ]] || echo "namespace/$a" ;; esac; done ;;
esac
exit 0
`;

let dir: string;

function runScript(script: string, env: Record<string, string>, cwd?: string, input = "") {
    const log = path.join(dir, `log-${Math.random()}`);
    fs.writeFileSync(log, "");
    fs.writeFileSync(`${log}.kubeconfig`, "");
    const result = spawnSync("/bin/bash", ["-c", script], {
        cwd,
        env: { PATH: `${dir}:/usr/bin:/bin`, FAKE_LOG: log, ...env },
        encoding: "utf8",
        input,
    });
    const lines = (file: string) => fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean);
    // Every kubectl call of a step bounds each API request (PRELUDE's k, KUBE_REQUEST_TIMEOUT): asserted here for all,
    // then the calls are compared without it (`timedCalls` keep it).
    const timedCalls = lines(log);
    const untimed = timedCalls.filter(c => !/(^| )--request-timeout=\S+ /.test(c));
    assert.deepStrictEqual(untimed, [], "kubectl calls without --request-timeout");
    const calls = timedCalls.map(c => c.replace(/(^| )--request-timeout=\S+ /, "$1"));
    return { code: result.status, stdout: result.stdout, stderr: result.stderr, calls, timedCalls, kubeconfigs: lines(`${log}.kubeconfig`) };
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
        assert.deepStrictEqual(r.timedCalls, [
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

    it("retirement guard: passes without reading the cluster once istio-mesh:decommission prepared a teardown", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", FAKE_PODS: `shop/web-1||${status("1-29")}`, DECOMMISSION: "true" });
        assert.strictEqual(r.code, 0);
        assert.match(r.stdout, /passes \(istio-mesh:decommission is set/);
        assert.deepStrictEqual(r.calls, []);
    });

    it("retirement guard: the old switch ISTIO_MESH_SKIP_RETIREMENT_GUARD turns nothing off", () => {
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", FAKE_PODS: `shop/web-1||${status("1-29")}`, ISTIO_MESH_SKIP_RETIREMENT_GUARD: "1" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /set istio-mesh:decommission to true and run 'pulumi up' before 'pulumi destroy'/);
    });

    it("retirement guard: reads the cluster through the latest run's access, not the kubeconfig recorded at the last up", () => {
        const p = project(false);
        fs.mkdirSync(path.join(p.root, ".istio-mesh", "access"), { recursive: true });
        fs.writeFileSync(path.join(p.root, clusterAccessFile("ci")), "/tmp/job-2/kubeconfig\nci-context\n");
        const r = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", KUBECONFIG: "/tmp/job-1/kubeconfig", KUBE_CONTEXT: "old", CLUSTER_ACCESS_FILE: clusterAccessFile("ci") }, p.sub);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(r.kubeconfigs, ["/tmp/job-2/kubeconfig"]);
        assert.match(r.calls[0], /^--context ci-context get pods -A/);
        // The run used the ambient kubeconfig and no context: the recorded ones are dropped too.
        fs.writeFileSync(path.join(p.root, clusterAccessFile("ci")), "\n\n");
        const ambient = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", KUBECONFIG: "/tmp/job-1/kubeconfig", KUBE_CONTEXT: "old", CLUSTER_ACCESS_FILE: clusterAccessFile("ci") }, p.sub);
        assert.deepStrictEqual([ambient.kubeconfigs, ambient.calls[0].split(" ")[0]], [["(ambient)"], "get"]);
        // No file (a destroy in a fresh checkout): the recorded access.
        const recorded = runScript(RETIREMENT_GUARD_SCRIPT, { REVISION: "1-29", KUBECONFIG: "/tmp/job-1/kubeconfig", CLUSTER_ACCESS_FILE: clusterAccessFile("other") }, p.sub);
        assert.deepStrictEqual(recorded.kubeconfigs, ["/tmp/job-1/kubeconfig"]);
    });

    it("namespace preflight: reads the namespaces from stdin and checks them with one kubectl call, labelling nothing", () => {
        const r = runScript(NAMESPACE_PREFLIGHT_SCRIPT, { FAKE_NAMESPACES: "cart default shop" }, undefined, "cart\nshop\n");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(r.calls, ["get namespaces -o name"]);
        assert.match(r.stdout, /2 namespaces exist/);
    });

    it("namespace preflight: missing namespaces fail, all named, the program never creates them", () => {
        const r = runScript(NAMESPACE_PREFLIGHT_SCRIPT, { FAKE_NAMESPACES: "cart" }, undefined, "cart\nshop\nsearch\n");
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /these namespaces do not exist: shop search\./);
        assert.match(r.stderr, /never creates them.*remove them from istio-mesh:namespaces/);
        assert.strictEqual(r.calls.length, 1);
    });

    it("namespace preflight: 10,000 namespaces of 40 characters go through stdin", () => {
        const names = Array.from({ length: 10_000 }, (_, i) => `team-${String(i).padStart(5, "0")}-${"x".repeat(29)}`);
        assert.strictEqual(names[0].length, 40);
        // The fake cluster's list too goes by a file: one environment variable holds 128 KiB at most.
        const existing = path.join(dir, "namespaces-10000");
        fs.writeFileSync(existing, `${names.join("\n")}\n`);
        const r = runScript(NAMESPACE_PREFLIGHT_SCRIPT, { FAKE_NAMESPACES_FILE: existing }, undefined, `${names.join("\n")}\n`);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /^10000 namespaces exist/);
    });

    /** The cluster's namespaces as the legacy-label step lists them: name, istio.io/rev, istio-injection. */
    const nsState = (...rows: [string, string, string][]) => rows.map(r => r.join("|")).join(";");

    it("legacy label: one listing, then one call removes it from every held namespace that has istio.io/rev, and says which", () => {
        const r = runScript(LEGACY_INJECTION_APPLY_SCRIPT, { FAKE_NS_STATE: nsState(["shop", "1-30", "enabled"], ["cart", "default", "enabled"], ["search", "1-30", ""]) },
            undefined, "hold cart enabled\nhold search enabled\nhold shop enabled\n");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.calls[0], /^get namespaces -o jsonpath=/);
        assert.deepStrictEqual(r.calls.slice(1), ["label namespace cart shop istio-injection-"], "search's is already gone");
        assert.match(r.stdout, /istio-injection removed from namespaces \(istio.io\/rev injects them now; given back when .*\): cart shop/);
        assert.match(r.stdout, /held for 3 namespace\(s\)/);
    });

    it("legacy label: gives back what leaves the config first, then removes; 10,000 namespaces of 40 characters by stdin", () => {
        const names = Array.from({ length: 10_000 }, (_, i) => `team-${String(i).padStart(5, "0")}-${"x".repeat(29)}`);
        const state = path.join(dir, "ns-state-10000");
        fs.writeFileSync(state, names.map(n => `${n}|1-30|enabled`).join(";") + ";gone|default|");
        const r = runScript(LEGACY_INJECTION_APPLY_SCRIPT, { FAKE_NS_STATE_FILE: state }, undefined, `give-back gone enabled\n${names.map(n => `hold ${n} enabled\n`).join("")}`);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.calls[1], "label namespace gone --overwrite istio-injection=enabled", "given back before any removal");
        assert.deepStrictEqual(r.calls.slice(2).flatMap(c => c.split(" ").slice(2, -1)).length, 10_000, "every held namespace, in as few calls as xargs needs");
        assert.ok(r.calls.length < 12, `${r.calls.length} kubectl calls`);
    });

    it("legacy label: removed from an ambient namespace too (istio.io/dataplane-mode=ambient, no revision label): it would inject sidecars there", () => {
        const r = runScript(LEGACY_INJECTION_APPLY_SCRIPT, { FAKE_NS_STATE: "shop||enabled|ambient;cart|1-30|enabled" }, undefined, "hold cart enabled\nhold shop enabled\n");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(r.calls.slice(1), ["label namespace cart shop istio-injection-"]);
    });

    it("legacy label: kept everywhere while a held namespace has no revision label, or when kubectl fails, saying why", () => {
        const unlabelled = runScript(LEGACY_INJECTION_APPLY_SCRIPT, { FAKE_NS_STATE: nsState(["shop", "", "enabled"], ["cart", "1-30", "enabled"]) }, undefined, "hold cart enabled\nhold shop enabled\n");
        assert.strictEqual(unlabelled.code, 1);
        assert.match(unlabelled.stderr, /namespaces shop have no istio.io\/rev label, so their istio-injection label is kept .*no label was removed/);
        assert.strictEqual(unlabelled.calls.length, 1);
        const failed = runScript(LEGACY_INJECTION_APPLY_SCRIPT, { FAKE_NS_STATE: nsState(["shop", "1-30", "enabled"]), FAKE_FAIL_LABEL: "1" }, undefined, "hold shop enabled\n");
        assert.strictEqual(failed.code, 1);
        assert.match(failed.stderr, /removing the istio-injection label of namespaces shop failed[^\n]*:\n  .*forbidden[\s\S]*still injected through istio-injection/);
        const unreadable = runScript(LEGACY_INJECTION_APPLY_SCRIPT, { FAKE_FAIL_LIST: "1" }, undefined, "hold shop enabled\n");
        assert.strictEqual(unreadable.code, 1);
        assert.match(unreadable.stderr, /listing the namespaces for their istio-injection labels failed .*connection refused[\s\S]*No label was changed/);
    });

    it("legacy label: the step's delete gives every held label back through the latest run's access; a namespace gone needs nothing", () => {
        const p = project(false);
        fs.mkdirSync(path.join(p.root, ".istio-mesh", "access"), { recursive: true });
        fs.writeFileSync(path.join(p.root, clusterAccessFile("ci")), "/tmp/job-2/kubeconfig\n\n");
        const r = runScript(LEGACY_INJECTION_RESTORE_SCRIPT, {
            FAKE_NS_STATE: nsState(["shop", "1-30", ""], ["cart", "1-30", ""], ["search", "1-30", "enabled"]),
            KUBECONFIG: "/tmp/job-1/kubeconfig", CLUSTER_ACCESS_FILE: clusterAccessFile("ci"),
        }, p.sub, "give-back old enabled\nhold cart enabled\nhold gone enabled\nhold search enabled\nhold shop enabled\n");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(r.calls.slice(1), ["label namespace cart shop --overwrite istio-injection=enabled"], "not search (has it), nor gone, nor old (given back before)");
        assert.deepStrictEqual([...new Set(r.kubeconfigs)], ["/tmp/job-2/kubeconfig"]);
        assert.match(r.stdout, /istio-injection=enabled given back to namespaces: cart shop/);
    });

    it("cluster environment carries kubeconfig and context only when set, and always the request timeout", () => {
        assert.deepStrictEqual(clusterEnvironment({}), { KUBE_REQUEST_TIMEOUT: "30s" });
        assert.deepStrictEqual(clusterEnvironment({ kubeconfig: "/k", context: "c", requestTimeout: "1m" }), { KUBECONFIG: "/k", KUBE_CONTEXT: "c", KUBE_REQUEST_TIMEOUT: "1m" });
    });
});
