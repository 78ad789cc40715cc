/**
 * The restart step as the `workload-restarts` Command runs it (node + ts-node, the real entry point), against a
 * stub kubectl that keeps cluster state, rolls patched workloads and fails on cue: each defect of issue 11 has a
 * test here.
 */
import * as assert from "assert";
import * as path from "path";
import { Kubectl } from "../../components/kubectl";
import { restartPatch, ROLLOUT_STEP_COMMAND, runRollout, stepSettings } from "../../components/rolloutStep";
import { podProxy } from "../../istio";
import { workload } from "../support/cluster";
import { StubCluster, StubState } from "../support/stubKubectl";

const REPO = path.join(__dirname, "..", "..");
const on = (revision: string, version: string) => ({ revision, version });

function cluster(): StubState {
    return {
        namespaces: { shop: "1-31", cart: "1-31", search: "1-30" },
        injectors: { "1-30": "1-30@1.30.2", "1-31": "1-31@1.31.0" },
        objects: [
            ...workload("shop", "web", { replicas: 2, pods: [on("1-30", "1.30.2"), on("1-30", "1.30.2")] }),
            ...workload("shop", "db", { kind: "StatefulSet", pods: [on("1-30", "1.30.2")] }),
            ...workload("cart", "cart", { pods: [on("1-30", "1.30.2")] }),
            ...workload("search", "search", { pods: [on("1-30", "1.30.2")] }),
        ],
    };
}
const REQUEST = "shop 1-31 1-31@1.31.0 Deployment/web@1 StatefulSet/db@1\ncart 1-31 1-31@1.31.0 Deployment/cart@1";

describe("the restart step (components/rolloutStep.ts) against a stub kubectl", function () {
    this.timeout(60000);
    let stub: StubCluster;
    afterEach(() => stub?.dispose());

    /** The Command's own script, as a process: the request on stdin, the settings in the environment. */
    const command = ({ ROLLOUT_REQUEST, ...env }: Record<string, string>) =>
        stub.exec(["/bin/bash", "-c", ROLLOUT_STEP_COMMAND], { TIMEOUT: "90s", ...env }, REPO, ROLLOUT_REQUEST);
    /** The same step in-process (kubectl is still the stub, as a process): what the entry point runs. */
    const step = async ({ ROLLOUT_REQUEST, ...env }: Record<string, string>) => {
        const lines: string[] = [];
        const all = stub.env({ TIMEOUT: "90s", ...env });
        try {
            await runRollout(stepSettings(all, ROLLOUT_REQUEST), new Kubectl(all), l => lines.push(l), async () => undefined);
            return { code: 0, stdout: lines.join("\n"), stderr: "" };
        } catch (e) {
            return { code: 1, stdout: lines.join("\n"), stderr: (e as Error).message };
        }
    };
    /** A call without the request timeout every call carries (the first test shows it). */
    const patches = () => stub.commands.filter(c => / patch /.test(` ${c} `)).map(c => c.replace(/ --type=merge -p .*/, ""));

    it("restarts what does not run the target, one namespace at a time, each awaited before the next (the Command's entry point)", () => {
        stub = new StubCluster(cluster());
        const r = command({ ROLLOUT_REQUEST: REQUEST, KUBE_REQUEST_TIMEOUT: "45s" });
        assert.strictEqual(r.code, 0, r.stderr);
        // Every call bounds each API request (istio-mesh:kubernetes.requestTimeout); rollout status also bounds its wait.
        assert.deepStrictEqual(stub.calls.map(c => c.replace(/ -p .*/, "")), [
            "--request-timeout=45s get namespace shop -o json",
            "--request-timeout=45s -n shop get deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,pods,poddisruptionbudgets -o json",
            "--request-timeout=45s -n shop patch deployment/web --type=merge",
            "--request-timeout=45s -n shop patch statefulset/db --type=merge",
            "--request-timeout=45s -n shop rollout status deployment/web --timeout=90s",
            "--request-timeout=45s -n shop rollout status statefulset/db --timeout=90s",
            "--request-timeout=45s get namespace cart -o json",
            "--request-timeout=45s -n cart get deployments,statefulsets,daemonsets,replicasets,jobs,cronjobs,pods,poddisruptionbudgets -o json",
            "--request-timeout=45s -n cart patch deployment/cart --type=merge",
            "--request-timeout=45s -n cart rollout status deployment/cart --timeout=90s",
        ]);
        assert.ok(stub.calls.some(c => /-p \{"spec":\{"template":\{"metadata":\{"annotations":\{"istio-mesh.dev\/rolled-onto":"1-31@1\.31\.0","istio-mesh.dev\/restarted-at":"\d{4}-\d\d-\d\dT[\d:.]+Z"\}\}\}\}\}$/.test(c)),
            stub.calls.join("\n"));
        assert.match(r.stdout, /wave 1\/2: shop -> 1-31 \(1\.31\.0\)/);
        assert.match(r.stdout, /shop: restarting deployment\/web \(pods run 1-30 \(1\.30\.2\)\)/);
        assert.ok(!stub.calls.some(c => c.includes("search")), "a namespace outside the request is not touched");
    });

    it("parallelNamespaces 2: two namespaces restart together, both awaited before the next wave", async () => {
        stub = new StubCluster(cluster());
        const r = await step({ ROLLOUT_REQUEST: `${REQUEST}\nsearch 1-30 1-30@1.30.2`, ROLLOUT_PARALLEL: "2", ROLLOUT_PAUSE: "1ms" });
        assert.strictEqual(r.code, 0, r.stderr);
        const order = stub.commands.filter(c => /patch|rollout status|get namespace/.test(c)).map(c => c.replace(/ --(type|timeout)=.*/, ""));
        assert.deepStrictEqual(order, [
            "get namespace shop -o json", "-n shop patch deployment/web", "-n shop patch statefulset/db",
            "get namespace cart -o json", "-n cart patch deployment/cart",
            "-n shop rollout status deployment/web", "-n shop rollout status statefulset/db", "-n cart rollout status deployment/cart",
            "get namespace search -o json",
        ]);
        assert.match(r.stdout, /pausing 0\.001s before the next wave/);
        assert.match(r.stdout, /search: .*|wave 2\/2 done/);
    });

    it("re-run after success: restarts nothing (the pods run the target)", async () => {
        stub = new StubCluster(cluster());
        assert.strictEqual((await step({ ROLLOUT_REQUEST: REQUEST })).code, 0);
        stub.clearCalls();
        const r = await step({ ROLLOUT_REQUEST: REQUEST });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(patches(), []);
    });

    for (const injector of ["injecting", "down"]) {
        it(`API server gone mid-rollout, then run again (injector ${injector}): each workload restarted exactly once`, async () => {
            const state = cluster();
            if (injector === "down") {
                state.injectors = {};
            }
            stub = new StubCluster(state);
            const failed = await step({ ROLLOUT_REQUEST: REQUEST, STUB_FAIL: "-n cart" });
            assert.strictEqual(failed.code, 1);
            assert.match(failed.stderr, /kubectl --request-timeout=30s -n cart get deployments,statefulsets.* failed \(namespace cart\): exit 1: The connection to the server/);
            assert.match(failed.stderr, /The rollout stopped at wave 2\/2/);
            const first = patches();
            assert.deepStrictEqual(first, ["-n shop patch deployment/web", "-n shop patch statefulset/db"]);
            stub.clearCalls();
            const again = await step({ ROLLOUT_REQUEST: REQUEST });
            assert.strictEqual(again.code, 0, again.stderr);
            assert.deepStrictEqual(patches(), ["-n cart patch deployment/cart"], "shop is not restarted a second time");
        });
    }

    it("interrupted while shop was still rolling: the next run waits for it and does not restart it again", async () => {
        stub = new StubCluster(cluster());
        const stuck = await step({ ROLLOUT_REQUEST: REQUEST, STUB_STUCK: "shop/deployment/web" });
        assert.strictEqual(stuck.code, 1);
        assert.match(stuck.stderr, /deployment\/web in namespace shop did not finish rolling onto revision 1-31 \(1\.31\.0\) within 90s/);
        assert.match(stuck.stderr, /istio-mesh:restartTimeout.*istio-mesh:namespaces\.shop/);
        assert.match(stuck.stderr, /not reached, left for the next 'pulumi up': cart/);
        assert.ok(!stub.calls.some(c => c.includes("-n cart")), "the next wave is not started");
        stub.clearCalls();
        const again = await step({ ROLLOUT_REQUEST: REQUEST });
        assert.strictEqual(again.code, 0, again.stderr);
        assert.deepStrictEqual(patches(), ["-n cart patch deployment/cart"]);
        assert.match(again.stdout, /shop: deployment\/web already rolling onto 1-31 \(1\.31\.0\): waiting for it/);
        assert.ok(stub.commands.includes("-n shop rollout status deployment/web --timeout=90s"));
    });

    it("a failed patch stops the step naming the workload's namespace and the command", async () => {
        stub = new StubCluster(cluster());
        const r = await step({ ROLLOUT_REQUEST: REQUEST, STUB_FAIL: "patch statefulset/db" });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /kubectl --request-timeout=30s -n shop patch statefulset\/db --type=merge -p .* failed \(namespace shop\)/);
        assert.match(r.stderr, /left for the next 'pulumi up': cart/);
    });

    it("a namespace relabelled by hand is refused before anything restarts, with the fix", async () => {
        const state = cluster();
        state.namespaces.shop = "1-30";
        stub = new StubCluster(state);
        const r = await step({ ROLLOUT_REQUEST: REQUEST });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /namespace shop is labelled istio.io\/rev=1-30, not 1-31 .*pulumi up --refresh/);
        assert.deepStrictEqual(patches(), []);
    });

    it("a workload rolled onto the target, then relabelled and restarted by hand onto another revision: the restart changes its template, so its pods roll onto the target", async () => {
        const state = cluster();
        // The label is back on 1-31 (the program took it back); web still carries the record of its earlier roll onto
        // 1-31 (kubectl rollout restart keeps it), and its pods were re-created under the hand-made label 1-30.
        state.objects = workload("shop", "web", { replicas: 2, record: "1-31@1.31.0", pods: [on("1-30", "1.30.2"), on("1-30", "1.30.2")] });
        stub = new StubCluster(state);
        const r = await step({ ROLLOUT_REQUEST: "shop 1-31 1-31@1.31.0 Deployment/web@1" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /shop: restarting deployment\/web \(pods injected by 1-30 although it was rolled onto 1-31\)/);
        const after = stub.state.objects;
        assert.strictEqual(after.find(o => o.kind === "Deployment")!.metadata.generation, 2, "the template changed once");
        const pods = after.filter(o => o.kind === "Pod").map(p => podProxy(p));
        assert.deepStrictEqual(pods, [on("1-31", "1.31.0"), on("1-31", "1.31.0")].map(t => ({ injected: true, ...t })));
    });

    it("every restart patch changes the template: the same record at two times is two different templates", () => {
        const target = { revision: "1-31", version: "1.31.0" };
        const first = restartPatch(target, new Date("2026-12-04T18:00:00Z"));
        assert.deepStrictEqual(first, { spec: { template: { metadata: { annotations: {
            "istio-mesh.dev/rolled-onto": "1-31@1.31.0", "istio-mesh.dev/restarted-at": "2026-12-04T18:00:00.000Z" } } } } });
        assert.notDeepStrictEqual(restartPatch(target, new Date("2026-12-04T18:00:01Z")), first);
    });

    it("paused Deployments and OnDelete StatefulSets are reported and skipped; Jobs and bare pods are listed", async () => {
        const state = cluster();
        state.objects = [
            ...workload("shop", "batch", { paused: true, pods: [on("1-30", "1.30.2")] }),
            ...workload("shop", "db", { kind: "StatefulSet", onDelete: true, pods: [on("1-30", "1.30.2")] }),
            ...workload("shop", "web", { pods: [on("1-30", "1.30.2")] }),
            { kind: "Pod", metadata: { name: "debug", namespace: "shop" }, spec: { containers: [] }, status: { phase: "Running" } },
        ];
        stub = new StubCluster(state);
        const r = await step({ ROLLOUT_REQUEST: "shop 1-31 1-31@1.31.0 Deployment/web" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(patches(), ["-n shop patch deployment/web"]);
        assert.match(r.stdout, /skipped deployment\/batch: .*paused: resume it/);
        assert.match(r.stdout, /skipped statefulset\/db: .*OnDelete/);
        assert.match(r.stdout, /not restarted: Pod\/debug \(1 pod\(s\)\): kubectl -n shop delete pod debug/);
        assert.ok(!stub.calls.some(c => /rollout status (deployment\/batch|statefulset\/db)/.test(c)), "skipped workloads are not awaited");
    });

    it("an empty request touches nothing; stray BIND_* or ROLLOUT_* variables are not read", async () => {
        stub = new StubCluster(cluster());
        const r = command({ ROLLOUT_REQUEST: "", BIND_shop: "shop 1-31 1.31.0", ROLLOUT_EXTRA: "cart 1-31 1-31@1.31.0" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.deepStrictEqual(stub.calls, []);
        assert.match(r.stdout, /no workload to restart/);
    });

    it("uses the provider's context on every call", async () => {
        stub = new StubCluster(cluster());
        await step({ ROLLOUT_REQUEST: "cart 1-31 1-31@1.31.0", KUBE_CONTEXT: "staging" });
        assert.ok(stub.calls.length > 0 && stub.calls.every(c => c.startsWith("--context staging --request-timeout=30s ")), stub.calls.join("\n"));
    });

    it("the Command's script finds the project from a subdirectory and runs the step with its stdin", () => {
        stub = new StubCluster(cluster());
        const r = stub.exec(["/bin/bash", "-c", ROLLOUT_STEP_COMMAND], { TIMEOUT: "90s" }, path.join(REPO, "components"), "cart 1-31 1-31@1.31.0");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stdout, /cart: restarting deployment\/cart/);
    });

    it("the pause between waves: composed durations, zero by default, a bad one refused naming the variable", () => {
        assert.strictEqual(stepSettings({ ROLLOUT_PAUSE: "1m30s" }, "").pauseMs, 90_000);
        assert.strictEqual(stepSettings({ ROLLOUT_PAUSE: "250ms" }, "").pauseMs, 250);
        assert.strictEqual(stepSettings({}, "").pauseMs, 0);
        assert.throws(() => stepSettings({ ROLLOUT_PAUSE: "soon" }, ""), /ROLLOUT_PAUSE "soon" \(istio-mesh:rollout\.pauseBetween\) is not a duration: write e\.g\. 30s/);
    });
});
