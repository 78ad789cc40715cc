import * as assert from "assert";
import { imagesFromAllowedRegistries as allowed, privateHubPullSecrets as pullSecrets } from "../../policies/registries";
import { ResourceLike } from "../../policies/resources";
import { happySpec, renderMesh, TYPES, VIEWS } from "./mesh-fixture";
import { assertHasResourceViolation, assertNoResourceViolations, assertNoStackViolations, resourceArgs, stackArgs, stackViolations } from "./util";

function find(resources: ResourceLike[], type: string, name: string): ResourceLike {
    return resources.find(r => r.type === type && r.name === name)!;
}

describe("istio-images-from-allowed-registries", () => {
    it("does nothing until allowedRegistries is configured", async () => {
        const spec = happySpec();
        spec.hub = "docker.io/somebody";
        for (const r of renderMesh(spec)) {
            await assertNoResourceViolations(allowed, resourceArgs(r));
        }
    });

    for (const view of VIEWS) {
        it(`accepts the happy mesh's images under registry.example.com (${view})`, async () => {
            for (const r of renderMesh(happySpec(), view)) {
                await assertNoResourceViolations(allowed, resourceArgs(r, { allowedRegistries: ["registry.example.com"] }));
            }
        });
    }

    it("refuses istiod and cni charts whose global.hub is elsewhere", async () => {
        const settings = { allowedRegistries: ["registry.example.com/mirror"] };
        const resources = renderMesh(happySpec(), "charts");
        await assertHasResourceViolation(allowed, resourceArgs(find(resources, TYPES.chart, "istiod-1-30"), settings), {
            message: 'istiod chart (resource "istiod-1-30"): value global.hub uses registry.example.com/istio, which is not under an allowed registry ' +
                "(registry.example.com/mirror); mirror Istio's images there and set global.hub to it",
        });
        await assertHasResourceViolation(allowed, resourceArgs(find(resources, TYPES.chart, "istio-cni"), settings), { message: "value global.hub" });
    });

    it("refuses istiod, CNI and pinned gateway images from elsewhere", async () => {
        const settings = { allowedRegistries: ["registry.example.com/mirror"] };
        const spec = happySpec();
        spec.gateways[0].pinnedImage = "docker.io/istio/proxyv2:1.29.3";
        const resources = renderMesh(spec, "objects");
        await assertHasResourceViolation(allowed, resourceArgs(find(resources, TYPES.deployment, "istiod-1-29"), settings), {
            message: "Deployment istio-system/istiod-1-29: container discovery uses registry.example.com/istio/pilot:1.29.3",
        });
        await assertHasResourceViolation(allowed, resourceArgs(find(resources, TYPES.daemonSet, "istio-cni-node"), settings), { message: "container install-cni" });
        await assertHasResourceViolation(allowed, resourceArgs(find(resources, TYPES.deployment, "istio-ingress"), settings), {
            message: "container istio-proxy uses docker.io/istio/proxyv2:1.29.3, which is not under an allowed registry (registry.example.com/mirror); mirror the image there and use that copy",
        });
    });

    it("reads Docker Hub short names as docker.io", async () => {
        const spec = happySpec();
        spec.hub = "istio";
        for (const r of renderMesh(spec)) {
            await assertNoResourceViolations(allowed, resourceArgs(r, { allowedRegistries: ["index.docker.io/istio", "registry.example.com"] }));
        }
    });

    it("matches registries on path boundaries", () => {
        const istiod = find(renderMesh(happySpec(), "objects"), TYPES.deployment, "istiod-1-30");
        return assertHasResourceViolation(allowed, resourceArgs(istiod, { allowedRegistries: ["registry.example.co"] }));
    });
});

describe("istio-private-hub-pull-secrets", () => {
    it("is advisory, with Istio's public hubs as the default publicRegistries", () => {
        assert.strictEqual(pullSecrets.enforcementLevel, "advisory");
        assert.deepStrictEqual(pullSecrets.configSchema!.properties.publicRegistries.default, ["docker.io/istio", "gcr.io/istio-release", "registry.istio.io"]);
    });

    for (const view of VIEWS) {
        it(`accepts the happy mesh: a private hub with pull secrets (${view})`, () =>
            assertNoStackViolations(pullSecrets, stackArgs(renderMesh(happySpec(), view))));
    }

    it("flags a private hub without pull secrets once, naming every chart value and pod that pulls from it", async () => {
        const spec = happySpec();
        spec.pullSecrets = [];
        const violations = await stackViolations(pullSecrets, stackArgs(renderMesh(spec)));
        assert.strictEqual(violations.length, 1, violations.map(v => v.message).join("\n"));
        const [v] = violations;
        assert.match(v.message, /registry\.example\.com is a private registry, and \d+ places pull from it without image pull secrets: /);
        assert.match(v.message, /value global\.hub of istiod-1-30 \(registry\.example\.com\/istio\)/);
        assert.match(v.message, /container discovery of istiod-1-30 \(registry\.example\.com\/istio\/pilot:1\.30\.2\)/);
        assert.match(v.message, /of istio-cni-node/);
        assert.match(v.message, /set global\.imagePullSecrets and imagePullSecrets on the pod$/);
    });

    it("accepts Istio's public hubs without pull secrets", () => {
        const spec = happySpec();
        spec.pullSecrets = [];
        spec.hub = "gcr.io/istio-release";
        return assertNoStackViolations(pullSecrets, stackArgs(renderMesh(spec)));
    });

    it("accepts registries configured as public", () => {
        const spec = happySpec();
        spec.pullSecrets = [];
        return assertNoStackViolations(pullSecrets, stackArgs(renderMesh(spec), { publicRegistries: ["registry.example.com"] }));
    });
});
