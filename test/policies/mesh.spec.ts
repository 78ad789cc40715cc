import * as assert from "assert";
import { unknownCheckingProxy } from "@pulumi/policy";
import { chartNameOf, contentsOf, snapshot } from "../../policies/resources";
import { observeMesh, resolveRevision, servingRef } from "../../policies/mesh";
import { happySpec, objectResource, renderMesh, resource, TYPES, VIEWS } from "./mesh-fixture";

// The engine's marker for a string not known during preview (@pulumi/policy proxy.js).
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("mesh observation", () => {
    for (const view of VIEWS) {
        describe(`of the happy mesh seen as ${view}`, () => {
            const mesh = observeMesh(renderMesh(happySpec(), view));

            it("finds both revisions with their versions", () => {
                assert.deepStrictEqual(
                    [...mesh.revisions.values()].map(r => [r.name, r.version, r.serviceName]).sort(),
                    [["1-29", "1.29.3", "istiod-1-29"], ["1-30", "1.30.2", "istiod-1-30"]]);
                assert.strictEqual(mesh.revisions.get("1-30")!.upgradedFrom, "1.30.1");
            });

            it("finds the tags, namespaces, gateway, pinned workload and CNI", () => {
                assert.deepStrictEqual([...mesh.tags].map(([tag, t]) => [tag, t.map(x => x.revision)]), [["default", ["1-30"]], ["stable", ["1-29"]]]);
                assert.deepStrictEqual(mesh.namespaces.get("payments")!.labels, { "istio.io/rev": "1-30" });
                const gateway = mesh.proxies.find(p => p.kind === "gateway")!;
                assert.deepStrictEqual([gateway.name, gateway.namespace, gateway.revisionRef, gateway.pinnedVersion],
                    ["istio-ingress", "istio-ingress", "stable", undefined]);
                const workload = mesh.proxies.find(p => p.kind === "workload")!;
                assert.deepStrictEqual([workload.name, workload.pinnedVersion], ["checkout", "1.29.3"]);
                assert.deepStrictEqual(mesh.cni.map(c => c.version), ["1.29.3"]);
                assert.strictEqual(mesh.kubernetesVersion?.version, "1.33");
                assert.strictEqual(mesh.incomplete, false);
                assert.strictEqual(mesh.declaresIstio, true);
            });

            it("counts a gateway seen as chart and as Deployment once", () => {
                assert.strictEqual(mesh.proxies.filter(p => p.kind === "gateway").length, 1);
            });
        });
    }

    it("sees the webhooks and istiod Services of the objects", () => {
        const mesh = observeMesh(renderMesh(happySpec(), "objects"));
        assert.deepStrictEqual(mesh.webhooks.map(w => w.name).sort(), [
            "istio-revision-tag-default", "istio-revision-tag-stable", "istio-sidecar-injector-1-29", "istio-sidecar-injector-1-30",
            "istio-validator-1-29-istio-system", "istio-validator-1-30-istio-system", "istiod-default-validator",
        ]);
        assert.deepStrictEqual(mesh.webhooks.find(w => w.name === "istio-sidecar-injector-1-30")!.services,
            [{ name: "istiod-1-30", namespace: "istio-system" }]);
        assert.deepStrictEqual([...mesh.istiodServices].sort(), ["istio-system/istiod-1-29", "istio-system/istiod-1-30"]);
    });

    it("prefers what the objects say over the chart values (they are what runs)", () => {
        const resources = renderMesh(happySpec(), "both");
        const deployment = resources.find(r => r.type === TYPES.deployment && r.name === "istiod-1-30")!;
        deployment.props.spec.template.spec.containers[0].image = "registry.example.com/istio/pilot:1.30.3-distroless";
        assert.strictEqual(observeMesh(resources).revisions.get("1-30")!.version, "1.30.3");
        assert.strictEqual(observeMesh(resources.reverse()).revisions.get("1-30")!.version, "1.30.3");
    });

    it("takes a chart's global.tag over its version", () => {
        const resources = renderMesh(happySpec(), "charts");
        resources.find(r => r.name === "istiod-1-30")!.props.values.global.tag = "1.30.4";
        assert.strictEqual(observeMesh(resources).revisions.get("1-30")!.version, "1.30.4");
    });

    it("names the unrevisioned control plane `default`, served by Service istiod", () => {
        const mesh = observeMesh([resource(TYPES.chart, "istiod", { chart: "istiod", version: "1.30.2", values: { revision: "" } })]);
        assert.deepStrictEqual([...mesh.revisions.values()].map(r => [r.name, r.serviceName]), [["default", "istiod"]]);
    });

    it("ignores the program's own components and unrelated resources", () => {
        const mesh = observeMesh([
            resource("istio-mesh:index:ControlPlane", "cp", { revision: "1-30" }),
            resource("kubernetes:core/v1:ConfigMap", "cm", { metadata: { name: "istio" } }),
            resource(TYPES.deployment, "web", { metadata: { name: "web" }, spec: { template: { spec: { containers: [{ name: "web", image: "nginx" }] } } } }),
        ]);
        assert.strictEqual(mesh.revisions.size, 0);
        assert.strictEqual(mesh.proxies.length, 0);
        assert.strictEqual(mesh.declaresIstio, false);
    });

    it("marks the mesh incomplete when a revision name is unknown during preview", () => {
        const props = unknownCheckingProxy({ chart: "istiod", version: "1.30.2", values: { revision: UNKNOWN_STRING } });
        const mesh = observeMesh([resource(TYPES.chart, "istiod", props)]);
        assert.strictEqual(mesh.incomplete, true);
    });

    it("stays complete when only an unrelated value is unknown", () => {
        const props = unknownCheckingProxy({ chart: "istiod", version: "1.30.2", values: { revision: "1-30", global: { hub: UNKNOWN_STRING } } });
        const mesh = observeMesh([resource(TYPES.chart, "istiod", props)]);
        assert.strictEqual(mesh.incomplete, false);
        assert.strictEqual(mesh.revisions.get("1-30")!.version, "1.30.2");
    });

    describe("serving revision of a proxy", () => {
        const spec = happySpec();
        spec.workloads = [{ name: "w", namespace: "plain", podLabels: { "istio.io/rev": "1-29" } }];
        spec.namespaces.push({ name: "plain", labels: {} });

        it("is the pod's istio.io/rev when the namespace has none", () => {
            const mesh = observeMesh(renderMesh(spec));
            assert.strictEqual(servingRef(mesh, mesh.proxies.find(p => p.name === "w")!), "1-29");
        });

        it("is the namespace's istio.io/rev over the pod's", () => {
            spec.namespaces.find(n => n.name === "plain")!.labels = { "istio.io/rev": "1-30" };
            const mesh = observeMesh(renderMesh(spec));
            assert.strictEqual(servingRef(mesh, mesh.proxies.find(p => p.name === "w")!), "1-30");
        });

        it("is the default tag when the namespace has istio-injection=enabled, whatever else is set", () => {
            spec.namespaces.find(n => n.name === "plain")!.labels = { "istio.io/rev": "1-30", "istio-injection": "enabled" };
            const mesh = observeMesh(renderMesh(spec));
            const ref = servingRef(mesh, mesh.proxies.find(p => p.name === "w")!);
            assert.strictEqual(ref, "default");
            assert.strictEqual(resolveRevision(mesh, ref!).revision!.name, "1-30");
        });
    });
});

describe("resources", () => {
    it("recognises Istio's charts however they are referenced", () => {
        assert.strictEqual(chartNameOf("istiod"), "istiod");
        assert.strictEqual(chartNameOf("oci://ghcr.io/istio/release/charts/istiod"), "istiod");
        assert.strictEqual(chartNameOf("./charts/gateway/"), "gateway");
        assert.strictEqual(chartNameOf("istio/base"), "base");
        assert.strictEqual(chartNameOf("cni-1.30.2.tgz"), "cni");
        assert.strictEqual(chartNameOf("ingress-nginx"), undefined);
        assert.strictEqual(chartNameOf(undefined), undefined);
    });

    it("copies engine properties, turning unknown values into undefined and listing their paths", () => {
        const props = unknownCheckingProxy({ a: { b: UNKNOWN_STRING, c: [1, UNKNOWN_STRING] }, d: "x" });
        assert.deepStrictEqual(snapshot(props), { value: { a: { b: undefined, c: [1, undefined] }, d: "x" }, unknownPaths: ["a.b", "a.c.1"] });
    });

    it("reads every object of a ConfigGroup's YAML", () => {
        const contents = contentsOf(resource(TYPES.configGroup, "istio", {
            yaml: "apiVersion: v1\nkind: Service\nmetadata:\n  name: istiod-1-30\n  namespace: istio-system\n---\n" +
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio\n---\n",
        }));
        assert.deepStrictEqual(contents.objects.map(o => o.origin.object), ["Service istio-system/istiod-1-30"]);
        assert.strictEqual(contents.objects[0].origin.resource.name, "istio");
    });

    it("reads a ConfigGroup's objs too", () => {
        const contents = contentsOf(resource(TYPES.configGroup, "ns", { objs: [{ kind: "Namespace", metadata: { name: "shop" } }] }));
        assert.deepStrictEqual(contents.objects.map(o => o.origin.object), ["Namespace shop"]);
    });

    it("reads a NamespacePatch as labels of that namespace", () => {
        const mesh = observeMesh([
            resource(TYPES.namespace, "shop", { metadata: { name: "shop", labels: { "istio-injection": "enabled" } } }),
            objectResource({ kind: "Namespace", metadata: { name: "other" } }),
            resource(TYPES.namespacePatch, "shop-patch", { metadata: { name: "shop", labels: { "istio.io/rev": "1-30" } } }),
        ]);
        assert.deepStrictEqual(mesh.namespaces.get("shop")!.labels, { "istio-injection": "enabled", "istio.io/rev": "1-30" });
    });
});
