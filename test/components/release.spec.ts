/** What the retirement guards and the destroy lock depend on for a release: each of its objects, or the run fails. */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { releaseObjects } from "../../components/release";

/** A release as the SDK hands a provider-side component back: itself, and its `resources` output. */
function release(objects: unknown[]): pulumi.Resource & { resources: pulumi.Output<any[]> } {
    const self = new pulumi.DependencyResource("urn:pulumi:test::istio-mesh::kubernetes:helm.sh/v4:Chart::istiod-1-30");
    return Object.assign(self, { resources: pulumi.output(objects) });
}

/** An output's value; the SDK's own (internal) way to await one, which also rejects with what its apply threw. */
const valueOf = <T>(o: pulumi.Output<T>): Promise<T> => (o as unknown as { promise(): Promise<T> }).promise();

describe("components/release releaseObjects: every object of a release, by dependencies alone", () => {
    const deployment = "urn:pulumi:test::istio-mesh::kubernetes:helm.sh/v4:Chart$kubernetes:apps/v1:Deployment::istio-system/istiod-1-30";

    it("the release, its objects as resources, and an object the SDK gave back as a URN, by that URN", async () => {
        const webhook = new pulumi.DependencyResource("urn:pulumi:test::istio-mesh::kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration::istio-sidecar-injector-1-30");
        const objects = await valueOf(releaseObjects(release([webhook, deployment]), "istiod-1-30"));
        assert.strictEqual(objects.length, 3);
        assert.deepStrictEqual(await Promise.all(objects.slice(1).map(o => valueOf(o.urn))), [
            "urn:pulumi:test::istio-mesh::kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration::istio-sidecar-injector-1-30", deployment,
        ]);
    });

    it("an object that is neither fails the run, naming the release, never protects nothing in silence", async () => {
        const error = await valueOf(releaseObjects(release([deployment, { kind: "Deployment" }]), "istiod-1-30")).then(() => undefined, e => e);
        assert.ok(error instanceof pulumi.RunError, String(error));
        assert.match((error as Error).message, /an object of release istiod-1-30 could not be resolved to a resource \(\{"kind":"Deployment"\}\)/);
    });
});
