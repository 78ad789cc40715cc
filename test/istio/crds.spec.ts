/** The CRDs as one bundle for the `crds` step: what it holds, how a change shows, what a render without them keeps. */
import * as assert from "assert";
import * as yaml from "js-yaml";
import { crdBundle, manifestObjects, manifestWithoutCrds } from "../../istio";

const crd = (name: string, served = true) => ({
    apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name },
    spec: { group: name.split(".").slice(1).join("."), versions: [{ name: "v1", served }] },
});
const validator = { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "istiod-default-validator" } };

describe("istio/crds: the CRDs apart from the base chart", () => {
    it("bundles only the CRDs, in name order, as YAML kubectl reads back to the same objects", () => {
        const b = crdBundle([crd("virtualservices.networking.istio.io"), validator, crd("authorizationpolicies.security.istio.io")], "base 1.31.0");
        assert.deepStrictEqual(b.names, ["authorizationpolicies.security.istio.io", "virtualservices.networking.istio.io"]);
        assert.deepStrictEqual(yaml.loadAll(b.yaml), [crd("authorizationpolicies.security.istio.io"), crd("virtualservices.networking.istio.io")]);
        assert.match(b.digest, /^[0-9a-f]{16}$/);
    });

    it("the digest follows the content, not the order of the render", () => {
        const a = crdBundle([crd("a.istio.io"), crd("b.istio.io")], "x");
        assert.strictEqual(crdBundle([crd("b.istio.io"), crd("a.istio.io")], "x").digest, a.digest);
        assert.notStrictEqual(crdBundle([crd("a.istio.io"), crd("b.istio.io", false)], "x").digest, a.digest);
    });

    it("a render without CRDs is an error naming the render, the config key and the fix", () => {
        assert.throws(() => crdBundle([validator], "the base chart of Istio 1.31.0 (/srv/charts/1.31.0/base)"),
            /the base chart of Istio 1\.31\.0 \(\/srv\/charts\/1\.31\.0\/base\) rendered no CustomResourceDefinition.*point istio-mesh:charts \(localDir, repository or istioctl\) at Istio's own release/);
    });

    it("istioctl's manifest: read as objects; without its CRDs, every other document kept as rendered", () => {
        const manifest = `# Source: base/templates/crds.yaml\n${yaml.dump(crd("a.istio.io"))}---\n# kept comment\n${yaml.dump(validator)}---\n`;
        assert.deepStrictEqual(manifestObjects(manifest), [crd("a.istio.io"), validator]);
        const rest = manifestWithoutCrds(manifest);
        assert.match(rest, /^# kept comment\n/);
        assert.deepStrictEqual(manifestObjects(rest), [validator]);
    });
});
