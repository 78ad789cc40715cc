/** What the program and the restart step read of the cluster (components/kubectl.ts), against a stub kubectl. */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
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
        assert.deepStrictEqual(stub.calls.sort(), ["--request-timeout=30s -n shop get deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,pods,poddisruptionbudgets -o json",
            "--request-timeout=30s get namespace shop -o json"]);
        assert.deepStrictEqual(await observeAsync(kubectl, []), { namespaceLabels: {}, objects: [] });
    });

    it("a failed read rejects with kubectl's words and the command, never a partial observation", async () => {
        const kubectl = new Kubectl(stub.env({ STUB_FAIL: "^GET /api/v1/pods$| get namespaces " }));
        await assert.rejects(observeAsync(kubectl, ["shop", "cart"]), (e: Error) => e instanceof KubectlError &&
            /^kubectl get --raw \/api\/v1\/pods failed: 503 Service Unavailable: The connection to the server 127\.0\.0\.1:6443 was refused$/.test(e.message));
        assert.throws(() => observe(kubectl, ["shop", "cart"]), /kubectl --request-timeout=30s get namespaces -o json failed: exit 1: The connection/);
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

describe("the program's cluster read: bounded by the request timeout, and its proxy never outlives the program", function () {
    this.timeout(60000);
    let stub: StubCluster;
    let tmp: string;
    const savedTmp = process.env.TMPDIR;
    beforeEach(() => {
        // A temporary directory of its own: what the read leaves there, and the processes naming it, are this test's.
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-read-"));
        process.env.TMPDIR = tmp;
        stub = new StubCluster({ namespaces: { shop: "1-31", cart: "1-30" }, injectors: {}, objects: workload("shop", "web") });
    });
    afterEach(() => {
        if (savedTmp === undefined) {
            delete process.env.TMPDIR;
        } else {
            process.env.TMPDIR = savedTmp;
        }
        stub.dispose();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    const socketDirs = () => fs.readdirSync(tmp).filter(d => d.startsWith("istio-mesh-kubectl-"));
    /** Processes whose command line names the temporary directory: the proxy and its wrapper. */
    const proxies = () => fs.readdirSync("/proc").filter(p => /^\d+$/.test(p)).filter(p => {
        try {
            return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(tmp);
        } catch {
            return false;
        }
    });
    /** Waits until nothing of the read is left (the wrapper cleans up asynchronously when the program was killed). */
    async function nothingLeft(): Promise<void> {
        for (let i = 0; i < 100 && (socketDirs().length > 0 || proxies().length > 0); i++) {
            await new Promise(r => setTimeout(r, 100));
        }
        assert.deepStrictEqual({ dirs: socketDirs(), processes: proxies() }, { dirs: [], processes: [] });
    }
    const prompt = "To sign in, use a web browser to open https://login.example.com/device and enter the code ABCD-1234";

    it("a read that gets no answer (an exec plugin waiting for a login) fails after the request timeout, naming it, its key, what the proxy said and the fix", async () => {
        const kubectl = new Kubectl(stub.env({ STUB_HANG: "^GET /api/v1/pods$", STUB_PROXY_STDERR: prompt, KUBE_REQUEST_TIMEOUT: "1s" }));
        const started = Date.now();
        await assert.rejects(observeAsync(kubectl, ["shop", "cart"]), (e: Error) => {
            assert.match(e.message, /^kubectl get --raw \/api\/v1\/pods failed: no answer within 1s \(istio-mesh:kubernetes\.requestTimeout = "1s"\)\. kubectl proxy said:\n  To sign in, use a web browser .* code ABCD-1234\nFix: .*log in .*raise istio-mesh:kubernetes\.requestTimeout/);
            return true;
        });
        const took = Date.now() - started;
        assert.ok(took >= 1000 && took < 5000, `failed after ${took} ms`);
        await nothingLeft();
    });

    it("a proxy that never starts serving fails after the request timeout too", async () => {
        const kubectl = new Kubectl(stub.env({ STUB_HANG: "^proxy$", KUBE_REQUEST_TIMEOUT: "1s" }));
        await assert.rejects(observeAsync(kubectl, ["shop", "cart"]),
            /^KubectlError: kubectl proxy --unix-socket=\S+\/api\.sock failed: did not start serving within 1s \(istio-mesh:kubernetes\.requestTimeout = "1s"\)\. kubectl proxy said nothing\./);
        await nothingLeft();
    });

    it("a request timeout that is not a duration is refused naming the variable and the key", () => {
        assert.throws(() => new Kubectl({ KUBE_REQUEST_TIMEOUT: "soon" }), /KUBE_REQUEST_TIMEOUT "soon" \(istio-mesh:kubernetes\.requestTimeout\) is not a positive duration/);
    });

    for (const end of ["SIGINT", "SIGTERM", "SIGKILL", "throw"] as const) {
        it(`a program ended mid-read by ${end === "throw" ? "an uncaught exception" : end} leaves no proxy process and no socket directory`, async () => {
            const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "..", "support", "readCluster.ts"), end],
                { env: stub.env({ STUB_HANG: "^GET /api/v1/pods$", TMPDIR: tmp, KUBE_REQUEST_TIMEOUT: "50s" }), stdio: ["ignore", "pipe", "pipe"] });
            let stderr = "";
            child.stderr.on("data", d => { stderr += d; });
            const exited = new Promise<{ code: number | null; signal: string | null }>(resolve => child.on("exit", (code, signal) => resolve({ code, signal })));
            try {
                if (end !== "throw") {
                    for (let i = 0; i < 300 && !socketDirs().some(d => fs.existsSync(path.join(tmp, d, "api.sock"))); i++) {
                        await new Promise(r => setTimeout(r, 50));
                    }
                    assert.strictEqual(proxies().length > 0, true, `the proxy runs while the program reads: ${stderr}`);
                    child.kill(end);
                }
                const { code, signal } = await exited;
                if (end === "throw") {
                    assert.strictEqual(code, 1);
                    assert.match(stderr, /an exception nobody catches/);
                } else {
                    // Handled, then ended by the signal as if no handler were there.
                    assert.strictEqual(signal, end, stderr);
                }
                await nothingLeft();
            } finally {
                child.kill("SIGKILL");
            }
        });
    }
});
