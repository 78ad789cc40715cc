/** What the program and the restart step read of the cluster (components/kubectl.ts), against a stub kubectl. */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import { Kubectl, KubectlError, observe, observeAsync } from "../../components/kubectl";
import { OBSERVED_RESOURCES } from "../../model/rollout";
import { workload } from "../support/cluster";
import { StubCluster } from "../support/stubKubectl";

const on = (revision: string, version: string) => ({ revision, version });

describe("observe and observeAsync: the restart decision's reads", function () {
    this.timeout(30000);
    let stub: StubCluster;
    beforeEach(() => {
        stub = new StubCluster({
            namespaces: { shop: "1-31", cart: "1-30", other: undefined },
            injectors: {},
            objects: [
                ...workload("shop", "web", { replicas: 2, pods: [on("1-30", "1.30.2"), on("1-30", "1.30.2")] }),
                ...workload("cart", "cart", { pods: [on("1-30", "1.30.2")] }),
                ...workload("other", "x", { pods: [on("1-30", "1.30.2")] }),
            ],
        });
    });
    afterEach(() => stub.dispose());

    it("the program's read (observeAsync) sees what the step's read (observe) sees: labels and objects of the bound namespaces only", async () => {
        const kubectl = new Kubectl(stub.env());
        const read = await observeAsync(kubectl, ["shop", "cart"]);
        assert.deepStrictEqual(read.namespaceLabels, { shop: "1-31", cart: "1-30" });
        assert.deepStrictEqual([...new Set(read.objects.map(o => o.metadata.namespace))].sort(), ["cart", "shop"]);
        assert.ok(read.objects.some(o => o.kind === "Deployment" && o.metadata.name === "web"));
        // One kubectl (a proxy on a Unix socket), through which the API server's lists pass undecoded: the namespaces,
        // then one list per kind, cluster-wide.
        assert.deepStrictEqual(stub.calls.filter(c => !c.startsWith("GET ")).map(c => c.replace(/=.*\/api\.sock$/, "=<dir>/api.sock")),
            ["proxy --unix-socket=<dir>/api.sock"]);
        assert.deepStrictEqual(stub.calls.filter(c => c.startsWith("GET ")).sort(),
            ["GET /api/v1/namespaces", ...OBSERVED_RESOURCES.map(r => `GET /${r.api}/${r.resource}`)].sort());
        assert.strictEqual(new Set(read.objects.map(o => o.kind)).size, 3, "Deployment, ReplicaSet and Pod, each list's kind given to its items");
        stub.clearCalls();
        assert.deepStrictEqual(observe(kubectl, ["shop", "cart"]), read);
        assert.strictEqual(stub.calls.length, 2);
    });

    it("one namespace: reads scoped to it, alike in both", async () => {
        const kubectl = new Kubectl(stub.env());
        const read = await observeAsync(kubectl, ["shop"]);
        assert.deepStrictEqual(read.namespaceLabels, { shop: "1-31" });
        assert.deepStrictEqual(stub.calls.filter(c => c.startsWith("GET ")).sort(),
            ["GET /api/v1/namespaces/shop", ...OBSERVED_RESOURCES.map(r => `GET /${r.api}/namespaces/shop/${r.resource}`)].sort());
        stub.clearCalls();
        assert.deepStrictEqual(observe(kubectl, ["shop"]), read);
        assert.deepStrictEqual(stub.calls.sort(), ["-n shop get deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,pods,poddisruptionbudgets -o json",
            "get namespace shop -o json"]);
        assert.deepStrictEqual(await observeAsync(kubectl, []), { namespaceLabels: {}, objects: [] });
    });

    it("a failed read rejects with kubectl's words and the command, never a partial observation", async () => {
        const kubectl = new Kubectl(stub.env({ STUB_FAIL: "^(GET /api/v1/pods$|get namespaces)" }));
        await assert.rejects(observeAsync(kubectl, ["shop", "cart"]), (e: Error) => e instanceof KubectlError &&
            /^kubectl get --raw \/api\/v1\/pods failed: 503 Service Unavailable: The connection to the server 127\.0\.0\.1:6443 was refused$/.test(e.message));
        assert.throws(() => observe(kubectl, ["shop", "cart"]), /kubectl get namespaces -o json failed: exit 1: The connection/);
    });

    it("a proxy that does not start, or a namespace that is gone, rejects naming it; the proxy's socket directory is removed", async () => {
        const socketDirs = () => fs.readdirSync(os.tmpdir()).filter(d => d.startsWith("istio-mesh-kubectl-")).sort();
        const before = socketDirs();
        await assert.rejects(observeAsync(new Kubectl(stub.env({ STUB_FAIL: "^proxy" })), ["shop", "cart"]),
            /^KubectlError: kubectl proxy --unix-socket=\S+\/api\.sock failed: exit 1: The connection to the server/);
        await assert.rejects(observeAsync(new Kubectl(stub.env()), ["gone"]),
            /^KubectlError: kubectl get --raw \/api\/v1\/namespaces\/gone failed: 404 Not Found: namespaces "gone" not found$/);
        assert.deepStrictEqual(socketDirs(), before);
    });
});
