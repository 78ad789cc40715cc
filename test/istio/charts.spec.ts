import * as assert from "assert";
import { baseValues, cniValues, gatewayValues, istiodValues, mergeValues, tagService, tagWebhook, tagWebhookName } from "../../istio";

describe("istio/charts: value layouts per version", () => {
    const images = { hub: "registry.example.com/istio", tag: "1.30.2-distroless", imagePullSecrets: ["pull"] };

    it("istiod: revision, registry, istio namespace, no chart-rendered tags", () => {
        const v = istiodValues({ version: "1.30.2", revision: "1-30", istioNamespace: "mesh", images });
        assert.deepStrictEqual(v, {
            revision: "1-30",
            revisionTags: [],
            global: { istioNamespace: "mesh", hub: images.hub, tag: images.tag, imagePullSecrets: ["pull"] },
        });
    });

    it("images: pinned to the chart's version by default, or by a {version} template", () => {
        assert.strictEqual((istiodValues({ version: "1.30.2", revision: "r" }).global as any).tag, "1.30.2");
        assert.strictEqual((cniValues({ version: "1.29.3", chained: true, images: { tag: "{version}-distroless" } }).global as any).tag, "1.29.3-distroless");
    });

    it("istiod: CNI switch moved to pilot.cni.enabled in 1.24", () => {
        const now = istiodValues({ version: "1.24.0", revision: "r", cni: { enabled: true } });
        assert.deepStrictEqual(now.pilot, { cni: { enabled: true } });
        assert.strictEqual(now.istio_cni, undefined);
        const before = istiodValues({ version: "1.23.6", revision: "r", cni: { enabled: true, chained: false } });
        assert.deepStrictEqual(before.istio_cni, { enabled: true, chained: false });
        assert.strictEqual(before.pilot, undefined);
    });

    it("istiod: user overrides merge last, deeply", () => {
        const v = istiodValues({ version: "1.30.2", revision: "r", images, overrides: { global: { logAsJson: true }, pilot: { replicaCount: 3 } } });
        assert.deepStrictEqual(v.global, { istioNamespace: "istio-system", hub: images.hub, tag: images.tag, imagePullSecrets: ["pull"], logAsJson: true });
        assert.deepStrictEqual(v.pilot, { replicaCount: 3 });
    });

    it("mergeValues replaces arrays and scalars, merges maps, leaves inputs alone", () => {
        const a = { x: { y: 1, z: [1] } };
        const out = mergeValues(a, { x: { z: [2] } });
        assert.deepStrictEqual(out, { x: { y: 1, z: [2] } });
        assert.deepStrictEqual(a, { x: { y: 1, z: [1] } });
    });

    it("cni: settings at the top level from 1.24, under cni: before", () => {
        assert.strictEqual(cniValues({ version: "1.29.3", chained: false }).chained, false);
        assert.deepStrictEqual(cniValues({ version: "1.23.1", chained: false }).cni, { chained: false });
    });

    it("base: the default validator follows the default tag, or is not rendered", () => {
        assert.strictEqual(baseValues({ defaultRevision: "1-30" }).defaultRevision, "1-30");
        assert.strictEqual(baseValues({}).defaultRevision, "");
    });

    it("gateway: revision, replicas, Service type, PDB, pull secrets in the chart's schema", () => {
        const v = gatewayValues({ name: "ingress", revision: "prod-stable", proxyVersion: "1.30.2", serviceType: "NodePort", replicas: 3,
            podDisruptionBudget: { minAvailable: 2 }, imagePullSecrets: ["pull"] });
        assert.deepStrictEqual(v, {
            name: "ingress", revision: "prod-stable", replicaCount: 3, autoscaling: { enabled: false },
            service: { type: "NodePort" }, podDisruptionBudget: { minAvailable: 2 }, imagePullSecrets: [{ name: "pull" }],
            podAnnotations: { "istio-mesh.dev/proxy-version": "1.30.2" },
        });
        assert.strictEqual(gatewayValues({ name: "g", revision: "r", proxyVersion: "1.30.2", serviceType: "ClusterIP", replicas: 1 }).podDisruptionBudget, undefined);
    });

    it("gateway: the proxy-version annotation survives the user's podAnnotations", () => {
        const v = gatewayValues({ name: "g", revision: "r", proxyVersion: "1.30.2", serviceType: "ClusterIP", replicas: 1,
            overrides: { podAnnotations: { team: "edge", "istio-mesh.dev/proxy-version": "9.9.9" } } });
        assert.deepStrictEqual(v.podAnnotations, { team: "edge", "istio-mesh.dev/proxy-version": "1.30.2" });
    });

    it("istiod: where it was upgraded from and the Kubernetes version, as deployment annotations over the user's", () => {
        const v = istiodValues({ version: "1.30.2", revision: "r", upgradedFrom: "1.30.1", kubernetesVersion: "1.33",
            overrides: { deploymentAnnotations: { team: "mesh", "istio-mesh.dev/upgraded-from": "0.0.1" } } });
        assert.deepStrictEqual(v.deploymentAnnotations, {
            team: "mesh", "istio-mesh.dev/upgraded-from": "1.30.1", "istio-mesh.dev/kubernetes-version": "1.33",
        });
        assert.strictEqual(istiodValues({ version: "1.30.2", revision: "r" }).deploymentAnnotations, undefined);
    });
});

describe("istio/tags: revision tags as objects", () => {
    it("points the tag webhook at the revision's istiod and selects the tag", () => {
        const w = tagWebhook({ tag: "prod-stable", revision: "1-30", istioNamespace: "istio-system" });
        assert.strictEqual(w.metadata.name, "istio-revision-tag-prod-stable");
        assert.deepStrictEqual(w.metadata.labels["istio.io/rev"], "1-30");
        assert.strictEqual(w.webhooks.length, 2);
        for (const hook of w.webhooks) {
            assert.strictEqual(hook.clientConfig.service.name, "istiod-1-30");
        }
        assert.deepStrictEqual(w.webhooks[0].namespaceSelector.matchExpressions[0], { key: "istio.io/rev", operator: "In", values: ["prod-stable"] });
    });

    it("the default tag also serves istio-injection=enabled and opt-in pods", () => {
        const w = tagWebhook({ tag: "default", revision: "1-30", istioNamespace: "istio-system" });
        assert.deepStrictEqual(w.webhooks.map((h: any) => h.name),
            ["rev.namespace.sidecar-injector.istio.io", "rev.object.sidecar-injector.istio.io", "namespace.sidecar-injector.istio.io", "object.sidecar-injector.istio.io"]);
    });

    it("suffixes the webhook name outside istio-system", () => {
        assert.strictEqual(tagWebhookName("default", "mesh"), "istio-revision-tag-default-mesh");
    });

    it("renders a tag Service for 1.28+ targets only", () => {
        assert.strictEqual(tagService({ tag: "canary", revision: "1-27", version: "1.27.3", istioNamespace: "istio-system" }), undefined);
        const svc = tagService({ tag: "canary", revision: "1-28", version: "1.28.0", istioNamespace: "istio-system" })!;
        assert.strictEqual(svc.metadata.name, "istiod-revision-tag-canary");
        assert.deepStrictEqual(svc.spec.selector, { app: "istiod", "istio.io/rev": "1-28" });
    });
});
