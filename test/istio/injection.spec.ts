/** Reading pods the way `istioctl proxy-status` does: injecting revision and proxy version. */
import * as assert from "assert";
import { optsOutOfInjection, podProxy, rolledOntoValue, statusRevision } from "../../istio";

/** A pod as Istio's injector leaves it (1.27+: native sidecar, no istio.io/rev label on the pod). */
function injected(revision: string, image: string) {
    return {
        metadata: {
            name: "web-1", namespace: "shop", labels: { app: "web" },
            annotations: { "sidecar.istio.io/status": JSON.stringify({ initContainers: ["istio-validation", "istio-proxy"], containers: null, revision }) },
        },
        spec: {
            initContainers: [{ name: "istio-validation", image }, { name: "istio-proxy", image }],
            containers: [{ name: "web", image: "registry.example.com/web:1" }],
        },
    };
}

describe("istio/injection: which revision injected a pod", () => {
    it("native sidecar: revision from the status annotation, version from the istio-proxy init container", () => {
        assert.deepStrictEqual(podProxy(injected("1-30", "docker.io/istio/proxyv2:1.30.2")), { injected: true, revision: "1-30", version: "1.30.2" });
    });

    it("classic sidecar in containers, distroless tag", () => {
        const pod = { metadata: { annotations: { "sidecar.istio.io/status": '{"revision":"stable"}' } },
            spec: { containers: [{ name: "app", image: "a:1" }, { name: "istio-proxy", image: "hub/proxyv2:1.29.3-distroless" }] } };
        assert.deepStrictEqual(podProxy(pod), { injected: true, revision: "stable", version: "1.29.3" });
    });

    it("a dev build tag still yields its version", () => {
        assert.strictEqual(podProxy(injected("1-30", "localhost/proxyv2:1.30.4-dev")).version, "1.30.4-dev");
    });

    it("an uninjected pod: not injected, no revision, even when labelled istio.io/rev", () => {
        const pod = { metadata: { labels: { "istio.io/rev": "1-30" } }, spec: { containers: [{ name: "web", image: "web:1" }] } };
        assert.deepStrictEqual(podProxy(pod), { injected: false });
    });

    it("an old injector without revision in its status: the pod's istio.io/rev label names it", () => {
        const pod = { metadata: { labels: { "istio.io/rev": "1-29" }, annotations: { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' } },
            spec: { containers: [{ name: "istio-proxy", image: "hub/proxyv2:1.29.3" }] } };
        assert.deepStrictEqual(podProxy(pod), { injected: true, revision: "1-29", version: "1.29.3" });
    });

    it("a proxy image pinned by digest has no version", () => {
        const pod = injected("1-30", "hub/proxyv2@sha256:abc");
        assert.deepStrictEqual(podProxy(pod), { injected: true, revision: "1-30" });
    });

    it("status annotation: malformed or empty values name no revision", () => {
        assert.strictEqual(statusRevision(undefined), undefined);
        assert.strictEqual(statusRevision("not json"), undefined);
        assert.strictEqual(statusRevision('{"revision":""}'), undefined);
        assert.strictEqual(statusRevision('{"revision":"1-31"}'), "1-31");
    });

    it("opting out of injection by label or annotation", () => {
        assert.strictEqual(optsOutOfInjection({ metadata: { labels: { "sidecar.istio.io/inject": "false" } } }), true);
        assert.strictEqual(optsOutOfInjection({ metadata: { annotations: { "sidecar.istio.io/inject": "false" } } }), true);
        assert.strictEqual(optsOutOfInjection({ metadata: { labels: { "sidecar.istio.io/inject": "true" } } }), false);
        assert.strictEqual(optsOutOfInjection({}), false);
    });

    it("the rollout record names revision and version", () => {
        assert.strictEqual(rolledOntoValue("1-31", "1.31.0"), "1-31@1.31.0");
    });
});
