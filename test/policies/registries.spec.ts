import * as assert from "assert";
import { imagesFromAllowedRegistries as allowed, privateHubPullSecrets as pullSecrets } from "../../policies/registries";
import { ResourceLike } from "../../policies/resources";
import { happySpec, renderMesh, TYPES, VIEWS } from "./mesh-fixture";
import { assertHasResourceViolation, assertNoResourceViolations, resourceArgs } from "./util";

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
        it(`accepts the happy mesh: a private hub with pull secrets (${view})`, async () => {
            for (const r of renderMesh(happySpec(), view)) {
                await assertNoResourceViolations(pullSecrets, resourceArgs(r));
            }
        });
    }

    it("flags a private hub without pull secrets, in chart values and on pods", async () => {
        const spec = happySpec();
        spec.pullSecrets = [];
        const resources = renderMesh(spec);
        await assertHasResourceViolation(pullSecrets, resourceArgs(find(resources, TYPES.chart, "istiod-1-30")), {
            message: "value global.hub pulls from registry.example.com/istio, a private registry, without image pull secrets; set global.imagePullSecrets",
        });
        await assertHasResourceViolation(pullSecrets, resourceArgs(find(resources, TYPES.deployment, "istiod-1-30")), {
            message: "container discovery pulls from registry.example.com/istio/pilot:1.30.2, a private registry, without image pull secrets; set imagePullSecrets on the pod",
        });
        await assertHasResourceViolation(pullSecrets, resourceArgs(find(resources, TYPES.daemonSet, "istio-cni-node")));
    });

    it("accepts Istio's public hubs without pull secrets", async () => {
        const spec = happySpec();
        spec.pullSecrets = [];
        spec.hub = "gcr.io/istio-release";
        for (const r of renderMesh(spec)) {
            await assertNoResourceViolations(pullSecrets, resourceArgs(r));
        }
    });

    it("accepts registries configured as public", async () => {
        const spec = happySpec();
        spec.pullSecrets = [];
        for (const r of renderMesh(spec)) {
            await assertNoResourceViolations(pullSecrets, resourceArgs(r, { publicRegistries: ["registry.example.com"] }));
        }
    });
});
