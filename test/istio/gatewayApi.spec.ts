import * as assert from "assert";
import {
    checkGatewayApiPair, GATEWAY_API_RELEASES, GATEWAY_API_SUPPORT, gatewayApiReleasesFor, gatewayApiSupportFor, gatewayDeploymentName,
    gatewayApiBundle, gatewayApiManifestDir, gatewayPod, isGatewayApiRelease, SUPPORT_TABLE,
} from "../../istio";

describe("istio/gatewayApi: the Gateway API version table", () => {
    it("names what each verified minor is built against, inside the range it supports, with a source", () => {
        for (const row of GATEWAY_API_SUPPORT.filter(r => r.verified)) {
            assert.ok(row.builtAgainst && isGatewayApiRelease(row.builtAgainst), `${row.istio}: ${row.builtAgainst}`);
            assert.strictEqual(checkGatewayApiPair(`${row.istio}.0`, row.builtAgainst).status, "supported", row.istio);
            assert.match(row.source, /go\.mod/);
        }
        assert.strictEqual(gatewayApiSupportFor("1.30.4-dev.9739e10e")?.builtAgainst, "1.5.1");
        assert.strictEqual(gatewayApiSupportFor("1.31.0")?.builtAgainst, "1.6.0");
    });

    it("has a row for every minor of Istio's support table, older ones not verified", () => {
        assert.deepStrictEqual(GATEWAY_API_SUPPORT.map(r => r.istio).sort(), SUPPORT_TABLE.map(r => r.minor).sort());
        assert.strictEqual(gatewayApiSupportFor("1.29.3")?.verified, false);
    });

    it("supports the built-against minor and the next, refuses older and newer naming both versions", () => {
        assert.strictEqual(checkGatewayApiPair("1.30.2", "1.5.0").status, "supported");
        assert.strictEqual(checkGatewayApiPair("1.30.2", "1.6.3").status, "supported");
        const old = checkGatewayApiPair("1.30.2", "1.4.1");
        assert.strictEqual(old.status, "unsupported");
        assert.match(old.status === "unsupported" ? old.reason : "", /Istio 1\.30\.2 .*Gateway API 1\.4\.1/);
        const newer = checkGatewayApiPair("1.30.2", "1.7.0");
        assert.deepStrictEqual(newer.status === "unsupported" ? newer.supported : [], ["1.5.0", "1.5.1", "1.6.0", "1.6.1", "1.6.2", "1.6.3"]);
        assert.strictEqual(checkGatewayApiPair("1.31.0", "1.5.1").status, "unsupported");
    });

    it("marks a pair with an unverified or unknown Istio minor unverified, not refused", () => {
        const v = checkGatewayApiPair("1.28.1", "1.1.0");
        assert.strictEqual(v.status, "unverified");
        assert.match(v.status === "unverified" ? v.reason : "", /Istio 1\.28\.1.*Gateway API 1\.1\.0/);
        assert.strictEqual(checkGatewayApiPair("1.40.0", "1.6.0").status, "unverified");
    });

    it("finds the releases a canary's two minors share: 1.30 and 1.31 meet at 1.6", () => {
        assert.deepStrictEqual(gatewayApiReleasesFor(["1.30.2", "1.31.0"]), ["1.6.0", "1.6.1", "1.6.2", "1.6.3"]);
        assert.deepStrictEqual(gatewayApiReleasesFor(["1.31.0"]), GATEWAY_API_RELEASES.filter(v => /^1\.[67]\./.test(v)));
    });

    it("knows the releases the module proxy serves, not others", () => {
        assert.ok(isGatewayApiRelease("1.5.1"));
        assert.ok(!isGatewayApiRelease("1.5.2"));
        assert.ok(!isGatewayApiRelease("v1.5.1"));
    });

    it("names istiod's Deployment of a Gateway <name>-<class>", () => {
        assert.strictEqual(gatewayDeploymentName("storefront", "istio"), "storefront-istio");
    });
});

describe("istio/gatewayApi: a release's manifests as one bundle", () => {
    const doc = (kind: string, name: string, extra = "") => `apiVersion: v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n${extra}`;
    const files = [
        { name: "gateway.networking.k8s.io_vap_safeupgrades.yaml", text: `${doc("ValidatingAdmissionPolicy", "safe-upgrades")}---\n${doc("ValidatingAdmissionPolicyBinding", "safe-upgrades")}` },
        { name: "gateway.networking.k8s.io_httproutes.yaml", text: doc("CustomResourceDefinition", "httproutes.gateway.networking.k8s.io") },
        { name: "gateway.networking.k8s.io_gateways.yaml", text: doc("CustomResourceDefinition", "gateways.gateway.networking.k8s.io") },
        { name: "kustomization.yaml", text: "resources: [a.yaml]\n" },
        { name: "README.md", text: "# not a manifest\n" },
    ];

    it("holds the CRDs and the admission policy, sorted by kind and name, the kustomization left out; names the CRDs", () => {
        const b = gatewayApiBundle(files, "dir");
        assert.deepStrictEqual(b.names, ["gateways.gateway.networking.k8s.io", "httproutes.gateway.networking.k8s.io"]);
        assert.deepStrictEqual([...b.yaml.matchAll(/kind: (\w+)/g)].map(m => m[1]),
            ["CustomResourceDefinition", "CustomResourceDefinition", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"]);
        assert.ok(!b.yaml.includes("resources"));
    });

    it("has a digest of its content, whatever the order of the files", () => {
        assert.strictEqual(gatewayApiBundle([...files].reverse(), "dir").digest, gatewayApiBundle(files, "dir").digest);
        const changed = files.map(f => f.name.includes("httproutes") ? { ...f, text: `${f.text}spec: {}\n` } : f);
        assert.notStrictEqual(gatewayApiBundle(changed, "dir").digest, gatewayApiBundle(files, "dir").digest);
    });

    it("refuses a directory without the Gateway CRD, naming it", () => {
        assert.throws(() => gatewayApiBundle(files.slice(0, 2), "/cache/x"), /\/cache\/x holds no CustomResourceDefinition gateways\.gateway\.networking\.k8s\.io/);
    });

    it("finds the manifests where go mod download leaves the module", () => {
        assert.strictEqual(gatewayApiManifestDir("/go/pkg/mod", "1.5.1", "experimental"), "/go/pkg/mod/sigs.k8s.io/gateway-api@v1.5.1/config/crd/experimental");
    });

    it("reads which Gateway and revision a pod of istiod's gateway template serves", () => {
        assert.deepStrictEqual(gatewayPod({ metadata: { labels: { "gateway.networking.k8s.io/gateway-name": "gw" }, annotations: { "istio.io/rev": "1-30" } } }),
            { gateway: "gw", revision: "1-30" });
        assert.strictEqual(gatewayPod({ metadata: { labels: { app: "web" }, annotations: { "istio.io/rev": "1-30" } } }), undefined);
    });
});
