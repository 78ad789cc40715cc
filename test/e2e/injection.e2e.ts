/**
 * The local cluster's sidecar injection itself, without the program: each revision's chart objects (istioctl's
 * manifest, unmodified) make the harness start a real istiod for it, pods are injected by the revision their
 * namespace names, a relabel without a restart is caught by the proxy-status check naming the workload and the
 * injecting revision, and a retired revision's istiod is stopped. Every connection stays on loopback.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import { LocalCluster, toolchainEnv, toolchainMissing } from "../../demo/local";
import { injectionMismatches, proxyStatusLines } from "../../demo/proxyStatus";

const missing = toolchainMissing();

describe("end to end: the local cluster injects sidecars with a real istiod per revision", function () {
    let cluster: LocalCluster;
    let OLD: string;
    let NEW: string;

    before(function () {
        if (missing) {
            this.test!.title += ` (skipped: toolchain missing: ${missing}; build it with 'npm run toolchain')`;
            this.skip();
        }
        const env = toolchainEnv();
        OLD = env.ISTIO_MESH_ISTIO_OLD!;
        NEW = env.ISTIO_MESH_ISTIO_NEW!;
        cluster = LocalCluster.start(env);
        cluster.kubectl("create", "namespace", "istio-system");
    });

    after(() => cluster?.stop());

    /** A revision's istiod objects as istioctl renders them (minimal profile), applied unmodified. */
    function install(version: string, revision: string): void {
        const minor = version.split(".").slice(0, 2).join(".");
        const manifest = execFileSync(`istioctl-${minor}`, ["manifest", "generate", "--set", "profile=minimal", "--set", `revision=${revision}`],
            { env: cluster.env, encoding: "utf8", maxBuffer: 1 << 26 });
        execFileSync("kubectl", ["apply", "--server-side", "-f", "-"], { env: cluster.env, input: manifest, stdio: ["pipe", "ignore", "pipe"] });
    }
    const check = (revision: string, version: string) => {
        const workloads = cluster.workloadPods(["demo"]);
        return { lines: proxyStatusLines(workloads), problems: injectionMismatches(workloads, () => ({ revision, version })) };
    };
    const settle = () => {
        cluster.kubectl("-n", "demo", "rollout", "status", "deployment/web", "--timeout=120s");
        for (let i = 0; i < 60 && cluster.workloadPods(["demo"])[0].pods.length !== 2; i++) {
            execFileSync("sleep", ["1"]);
        }
    };

    it("a pod of a namespace labelled for a revision is injected by that revision's istiod, with its proxy", () => {
        install(OLD, "1-30");
        assert.deepStrictEqual(cluster.waitForIstiods(["1-30"]).map(s => [s.revision, s.version]), [["1-30", OLD]]);
        cluster.kubectl("create", "namespace", "demo");
        cluster.kubectl("label", "namespace", "demo", "istio.io/rev=1-30");
        cluster.kubectl("-n", "demo", "create", "deployment", "web", "--image=registry.example.com/web:1", "--replicas=2");
        settle();
        const { lines, problems } = check("1-30", OLD);
        assert.deepStrictEqual(problems, [], lines.join("\n"));
        const pod = cluster.json("get", "pods", "-n", "demo").items[0];
        assert.ok(pod.spec.initContainers.some((c: any) => c.name === "istio-proxy" && c.restartPolicy === "Always"), "istio-proxy is a native sidecar");
        assert.strictEqual(pod.metadata.labels["istio.io/rev"], undefined, "injected pods carry no istio.io/rev label");
    });

    it("a namespace relabelled without a restart fails the check, naming the workload and the revision that injected it; a restart moves it", () => {
        install(NEW, "1-31");
        cluster.waitForIstiods(["1-30", "1-31"]);
        cluster.kubectl("label", "namespace", "demo", "istio.io/rev=1-31", "--overwrite");
        const broken = check("1-31", NEW).problems;
        assert.strictEqual(broken.length, 2, broken.join("\n"));
        broken.forEach(p => assert.match(p, /^demo\/deployment\/web: pod web-\S+ was injected by revision 1-30 \(proxy [^)]+\), expected revision 1-31/));
        cluster.kubectl("-n", "demo", "rollout", "restart", "deployment/web");
        settle();
        const { lines, problems } = check("1-31", NEW);
        assert.deepStrictEqual(problems, [], lines.join("\n"));
    });

    it("a retired revision's istiod is stopped; the others keep injecting; every connection stayed on loopback", () => {
        const before = cluster.istiods().find(s => s.revision === "1-30")!;
        cluster.kubectl("delete", "configmap", "istio-sidecar-injector-1-30", "-n", "istio-system");
        cluster.waitForIstiods(["1-31"]);
        assert.throws(() => process.kill(before.pid!, 0), "istiod 1-30's process is gone");
        cluster.kubectl("-n", "demo", "rollout", "restart", "deployment/web");
        settle();
        assert.deepStrictEqual(check("1-31", NEW).problems, []);
        assert.deepStrictEqual(cluster.nonLoopbackConnections(), []);
    });
});
