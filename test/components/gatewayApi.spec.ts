/**
 * The Gateway API under Pulumi's mocks: the CRDs' step before every control plane, Gateways pinned to their
 * revision, moves in waves, a tag move that leaves pinned Gateways alone, and the refusals before anything registers.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { RawConfig } from "../../model/config";
import { MeshState } from "../../model/facts";
import { GATEWAY_ROLLOUT_SCRIPT, gatewayApiCrdFile } from "../../components/kubectl";
import { find, ofType, ProgramError, ProgramRun, runProgram, TYPES } from "../support/mocks";

const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const crd = (plural: string, version: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  annotations: {gateway.networking.k8s.io/bundle-version: v${version}}
  name: ${plural}.gateway.networking.k8s.io
spec: {group: gateway.networking.k8s.io}
`;

/** A Go module cache holding the Gateway API releases' manifests the tests use (two CRDs and a kustomization each). */
function moduleCache(versions: string[]): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gomodcache-"));
    for (const v of versions) {
        const crds = path.join(dir, `sigs.k8s.io/gateway-api@v${v}/config/crd/standard`);
        fs.mkdirSync(crds, { recursive: true });
        fs.writeFileSync(path.join(crds, "gateway.networking.k8s.io_gateways.yaml"), crd("gateways", v));
        fs.writeFileSync(path.join(crds, "gateway.networking.k8s.io_httproutes.yaml"), crd("httproutes", v));
        fs.writeFileSync(path.join(crds, "kustomization.yaml"), "resources: []\n");
    }
    return dir;
}

const storefront = { name: "storefront", namespace: "shop", listeners: [{ port: 80 }] };
const checkout = { name: "checkout", namespace: "shop", listeners: [{ port: 8080 }] };
const step = (revisions: string[], defaultTag: string, gatewayApiVersion: string, gateways: Record<string, unknown>[], rollout = {}): RawConfig => ({
    revisions: revisions.map(version => ({ version })), tags: { default: defaultTag }, namespaces: { shop: "default" },
    gatewayApi: { version: gatewayApiVersion, gateways }, rollout,
});
const gateway = (run: ProgramRun, name: string) => find(run, GATEWAY, `gateway-api-shop/${name}`);
const rollout = (run: ProgramRun, name: string) => find(run, TYPES.command, `gateway-api-shop/${name}-rollout`);

describe("Gateway API under mocks", function () {
    let cache: string;
    const saved = process.env.GOMODCACHE;
    before(() => {
        cache = moduleCache(["1.5.1", "1.6.0"]);
        process.env.GOMODCACHE = cache;
    });
    after(() => {
        fs.rmSync(cache, { recursive: true, force: true });
        if (saved === undefined) {
            delete process.env.GOMODCACHE;
        } else {
            process.env.GOMODCACHE = saved;
        }
    });

    const start = step(["1.30.2"], "1-30", "1.5.1", [{ ...storefront, revision: "1-30" }, { ...checkout, revision: "1-30" }]);

    it("applies the release's CRDs in one step before the control planes, and pins each Gateway to its revision", async () => {
        const run = await runProgram(start);
        const crds = find(run, TYPES.command, "gateway-api-crds");
        assert.deepStrictEqual({ ...crds.inputs.environment, CRDS_DIGEST: undefined }, {
            KUBE_REQUEST_TIMEOUT: "30s", GATEWAY_API_VERSION: "1.5.1", GATEWAY_API_CHANNEL: "standard", CRDS_DIGEST: undefined,
            CRDS: "gateways.gateway.networking.k8s.io httproutes.gateway.networking.k8s.io",
        });
        const file = path.join(__dirname, "..", "..", gatewayApiCrdFile("1.5.1", "standard", crds.inputs.environment.CRDS_DIGEST));
        assert.match(fs.readFileSync(file, "utf8"), /bundle-version: v1\.5\.1/);
        assert.ok(!fs.readFileSync(file, "utf8").includes("resources: []"), "the kustomization is left out");
        const istiod = run.resources.find(r => r.name === "istiod-1-30" && r.type === "istio-mesh:index:IstioRevision")!;
        assert.ok(istiod.dependencies.some(u => u.endsWith("command:local:Command::gateway-api-crds")), istiod.dependencies.join("\n"));

        const gw = gateway(run, "storefront");
        assert.deepStrictEqual(gw.inputs.metadata, {
            name: "storefront", namespace: "shop", labels: { "istio.io/rev": "1-30" },
            annotations: { "networking.istio.io/service-type": "LoadBalancer" },
        });
        assert.deepStrictEqual(gw.inputs.spec, {
            gatewayClassName: "istio", listeners: [{ name: "http-80", port: 80, protocol: "HTTP", allowedRoutes: { namespaces: { from: "Same" } } }],
        });
        const wait = rollout(run, "storefront");
        assert.strictEqual(wait.inputs.create, GATEWAY_ROLLOUT_SCRIPT);
        assert.deepStrictEqual([wait.inputs.environment.DEPLOYMENT, wait.inputs.environment.REVISION, wait.inputs.environment.PROXY_TAG,
            wait.inputs.environment.TIMEOUT_SECONDS], ["storefront-istio", "1-30", "1.30.2", "300"]);
        assert.deepStrictEqual(run.outputs.meshState.gatewayApi, {
            crds: { version: "1.5.1", channel: "standard" },
            gateways: {
                "shop/storefront": { target: "1-30", revision: "1-30", version: "1.30.2" },
                "shop/checkout": { target: "1-30", revision: "1-30", version: "1.30.2" },
            },
        });
        assert.deepStrictEqual(run.outputs.revisions["1-30"].gateways, ["shop/storefront", "shop/checkout"]);
    });

    it("a tag move leaves pinned Gateways alone: same label, no rollout input changes, no move in the plan", async () => {
        const first = await runProgram(start);
        const added = step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "1-30" }, { ...checkout, revision: "1-30" }]);
        const second = await runProgram(added, first.outputs.meshState);
        const moved = { ...added, tags: { default: "1-31" } };
        const run = await runProgram(moved, second.outputs.meshState);
        assert.deepStrictEqual(gateway(run, "storefront").inputs.metadata.labels, { "istio.io/rev": "1-30" });
        assert.deepStrictEqual(rollout(run, "storefront").inputs.environment, rollout(second, "storefront").inputs.environment);
        assert.deepStrictEqual(run.outputs.upgradePlan.gatewayApi.moving, []);
        assert.deepStrictEqual(run.outputs.upgradePlan.summary.filter((l: string) => /gateway/i.test(l)), [], "no gateway line");
        assert.deepStrictEqual(run.outputs.meshState.gatewayApi.gateways["shop/storefront"], { target: "1-30", revision: "1-30", version: "1.30.2" });
        // The CRDs were raised with the new revision, in the step that added it.
        assert.strictEqual(find(second, TYPES.command, "gateway-api-crds").inputs.environment.GATEWAY_API_VERSION, "1.6.0");
    });

    it("a Gateway left following a tag is re-deployed by its move: the plan says so, naming istio#59959 and the fix", async () => {
        const following = step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "default" }]);
        const first = await runProgram(following);
        const run = await runProgram({ ...following, tags: { default: "1-31" } }, first.outputs.meshState);
        assert.deepStrictEqual(gateway(run, "storefront").inputs.metadata.labels, { "istio.io/rev": "default" });
        assert.strictEqual(rollout(run, "storefront").inputs.environment.REVISION, "1-31", "its rollout is awaited after the tag moves");
        assert.deepStrictEqual(run.outputs.upgradePlan.gatewayApi.followingMovedTags, [{ gateway: "shop/storefront", tag: "default" }]);
        assert.deepStrictEqual(run.outputs.upgradePlan.gatewayApi.waves, []);
        assert.match(run.outputs.upgradePlan.summary.join("\n"),
            /Gateway API gateway shop\/storefront: default -> 1-30 \(1\.30\.2\) -> default -> 1-31 \(1\.31\.0\), re-deployed by istiod-1-31 at once .*istio\/istio#59959\): pin it/);
    });

    it("moving two Gateways in one step moves them in waves: the second waits for the first's rollout, after the pause", async () => {
        const before = step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "1-30" }, { ...checkout, revision: "1-30" }]);
        const first = await runProgram(before);
        const moveBoth = step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "1-31" }, { ...checkout, revision: "1-31" }],
            { pauseBetween: "20s" });
        const run = await runProgram(moveBoth, first.outputs.meshState);
        // Waves in the config's order of the moving Gateways' ids, sorted: checkout, then storefront.
        assert.deepStrictEqual(gateway(run, "checkout").inputs.metadata.labels, { "istio.io/rev": "1-31" });
        assert.ok(gateway(run, "storefront").dependencies.some(u => u.endsWith("command:local:Command::gateway-api-shop/checkout-rollout")),
            "the second wave's Gateway waits for the first wave's rollout step");
        assert.ok(!gateway(run, "checkout").dependencies.some(u => u.includes("storefront")));
        assert.strictEqual(rollout(run, "checkout").inputs.environment.PAUSE_SECONDS, "20", "the pause follows the first wave");
        assert.strictEqual(rollout(run, "storefront").inputs.environment.PAUSE_SECONDS, "0", "and not the last");
        assert.strictEqual(rollout(run, "storefront").inputs.environment.REVISION, "1-31");
    });

    it("with the health gate on, each moved Gateway's traffic is gated after its rollout, and the next wave waits for that gate", async () => {
        const healthGate = { prometheus: { url: "http://127.0.0.1:9090" } };
        const before = { ...step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "1-30" }, { ...checkout, revision: "1-30" }]), healthGate };
        const first = await runProgram(before);
        const run = await runProgram({ ...step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "1-31" }, { ...checkout, revision: "1-31" }]), healthGate },
            first.outputs.meshState);
        const gate = find(run, TYPES.command, "health-gate-gateway-api-shop/checkout");
        assert.match(gate.inputs.stdin, /"point": "Gateway API gateway shop\/checkout -> 1-31 \(1\.31\.0\)"/);
        assert.match(gate.inputs.stdin, /source_workload=\\"checkout-istio\\"/, "its Deployment's traffic");
        assert.ok(gate.dependencies.some(u => u.endsWith("::gateway-api-shop/checkout-rollout")), "after its rollout");
        assert.ok(gateway(run, "storefront").dependencies.some(u => u.endsWith("command:local:Command::health-gate-gateway-api-shop/checkout")),
            "the next wave waits for the gate");
        assert.ok(run.outputs.upgradePlan.healthGate.points.some((p: { point: string }) => p.point === "Gateway API gateway shop/storefront -> 1-31 (1.31.0)"));
    });

    it("with parallelNamespaces 2, both move in one wave", async () => {
        const first = await runProgram(step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "1-30" }, { ...checkout, revision: "1-30" }]));
        const run = await runProgram(step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "1-31" }, { ...checkout, revision: "1-31" }],
            { parallelNamespaces: 2 }), first.outputs.meshState);
        assert.ok(!gateway(run, "storefront").dependencies.some(u => u.includes("checkout-rollout")));
    });

    it("refuses a revert that would lower the CRDs, before anything is registered", async () => {
        const first = await runProgram(step(["1.30.2", "1.31.0"], "1-30", "1.6.0", [{ ...storefront, revision: "1-30" }]));
        const error = await runProgram(step(["1.30.2"], "1-30", "1.5.1", [{ ...storefront, revision: "1-30" }]), first.outputs.meshState)
            .then(() => assert.fail("accepted"), e => e as ProgramError);
        assert.match(error.message, /istio-mesh:gatewayApi\.version = "1\.5\.1": the Gateway API CRDs are at 1\.6\.0; applying 1\.5\.1 would downgrade them/);
        assert.deepStrictEqual(error.registered, []);
    });

    it("refuses a release not on the machine, naming the directory and the command that fetches it", async () => {
        const error = await runProgram(step(["1.31.0"], "1-31", "1.7.0", [])).then(() => assert.fail("accepted"), e => e as ProgramError);
        assert.match(error.message, /Gateway API 1\.7\.0 .*not on this machine: looked in .*gateway-api@v1\.7\.0\/config\/crd\/standard.*go mod download sigs\.k8s\.io\/gateway-api@v1\.7\.0/);
        assert.deepStrictEqual(error.registered, []);
    });

    it("a manifest's Gateway is applied as written, pinned, through a provider that adopts an existing one, and kept on delete", async () => {
        const file = path.join(cache, "storefront.yaml");
        fs.writeFileSync(file, `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: storefront, labels: {team: web}}
spec:
  gatewayClassName: istio
  listeners: [{name: web, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Selector, selector: {matchLabels: {shop: "true"}}}}}]
`);
        const run = await runProgram(step(["1.30.2"], "1-30", "1.5.1", [{ name: "storefront", namespace: "shop", revision: "1-30", manifest: file }]));
        const gw = gateway(run, "storefront");
        assert.deepStrictEqual(gw.inputs.metadata.labels, { team: "web", "istio.io/rev": "1-30" });
        assert.strictEqual(gw.inputs.spec.listeners[0].allowedRoutes.namespaces.from, "Selector");
        assert.strictEqual(gw.retainOnDelete, true, "the user's own Gateway is kept when it leaves the config");
        const adopt = find(run, "pulumi:providers:kubernetes", "cluster-adopt");
        assert.deepStrictEqual([adopt.inputs.upsertExistingObjects, adopt.inputs.enablePatchForce], ["true", "true"]);
        assert.deepStrictEqual([find(run, "pulumi:providers:kubernetes", "cluster").inputs.upsertExistingObjects], ["false"]);
        // Without a manifest, no second provider, and the program's own Gateways are deleted with their config.
        const plain = await runProgram(start);
        assert.strictEqual(gateway(plain, "storefront").retainOnDelete, false);
        assert.deepStrictEqual(ofType(plain, "pulumi:providers:kubernetes").map(p => p.name), ["cluster"]);
    });

    it("render mode: the CRDs are written with the manifests, kept on delete, and no step awaits a rollout", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rendered-"));
        try {
            const run = await runProgram({ ...start, renderDirectory: dir });
            const crds = find(run, TYPES.configGroup, "gateway-api-crds-manifest");
            assert.match(crds.inputs.yaml, /name: gateways\.gateway\.networking\.k8s\.io/);
            assert.strictEqual(crds.retainOnDelete, true);
            assert.deepStrictEqual(ofType(run, TYPES.command).filter(c => /gateway-api/.test(c.name)), []);
            assert.ok(gateway(run, "storefront"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("unmanaged: no CRD step, the Gateways all the same", async () => {
        const run = await runProgram(step(["1.30.2"], "1-30", "unmanaged", [{ ...storefront, revision: "1-30" }]));
        assert.deepStrictEqual(ofType(run, TYPES.command).filter(c => c.name === "gateway-api-crds"), []);
        assert.ok(gateway(run, "storefront"));
    });
});
