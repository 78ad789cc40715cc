/** The base chart's CRDs outlive the stack: deleting a CRD deletes every object of its kind, which are the users'. */
import * as assert from "assert";
import { retainCustomResourceDefinitions } from "../../components/base";

const args = (type: string) => ({ type, name: "x", props: { metadata: { name: "x" } }, opts: { protect: false }, custom: true } as any);

describe("IstioBase: CRDs are retained on delete", () => {
    it("a CustomResourceDefinition of the chart is kept when Pulumi deletes it; its other options stay", async () => {
        const r = await retainCustomResourceDefinitions(args("kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"));
        assert.deepStrictEqual(r, { props: { metadata: { name: "x" } }, opts: { protect: false, retainOnDelete: true } });
    });

    it("the default validator and other objects are deleted as usual", async () => {
        assert.strictEqual(await retainCustomResourceDefinitions(args("kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration")), undefined);
        assert.strictEqual(await retainCustomResourceDefinitions(args("kubernetes:core/v1:ServiceAccount")), undefined);
    });
});
