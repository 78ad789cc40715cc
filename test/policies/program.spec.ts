/**
 * Every policy over what the program registers under mocks: the example stacks pass, unsafe configs fail with
 * the expected policies. The pack and the program share istio/, so they must agree.
 */
import * as assert from "assert";
import { evaluatePolicies, Violation } from "../support/evaluate";
import { RawConfig } from "../../model/config";
import { runProgram } from "../support/mocks";
import { stackConfig } from "../support/stacks";

async function violations(config: RawConfig, previous?: any): Promise<Violation[]> {
    const run = await runProgram(config, previous);
    return evaluatePolicies(run.resources.map(r => ({ type: r.type, name: r.name, props: r.inputs })));
}

const mandatory = (vs: Violation[]) => vs.filter(v => v.enforcementLevel === "mandatory");

describe("the policy pack over the program's resources (mocks)", () => {
    for (const stack of ["staging", "prod"] as const) {
        it(`Pulumi.${stack}.yaml: no mandatory violation`, async () => {
            const vs = await violations(stackConfig(stack));
            assert.deepStrictEqual(mandatory(vs), []);
        });
    }

    it("CNI newer than a control plane is refused", async () => {
        const vs = await violations({ ...stackConfig("staging"), cni: { enabled: true, version: "1.30.2" } });
        assert.deepStrictEqual([...new Set(mandatory(vs).map(v => v.policyName))], ["istio-cni-control-plane-skew"]);
    });

    it("control planes three minors apart are refused", async () => {
        const vs = await violations({ revisions: [{ version: "1.27.4" }, { version: "1.30.2" }], namespaces: { shop: "1-30" } });
        assert.ok(mandatory(vs).some(v => v.policyName === "istio-control-plane-skew"), JSON.stringify(vs));
    });

    it("an in-place jump recorded by the program is judged by the pack too", async () => {
        // The program refuses such a jump in config; a recorded history of one (done by hand, say) shows the
        // pack's view: the sticky upgradedFrom reaches istiod's annotations and the pack judges it.
        const run = await runProgram({ revisions: [{ name: "stable", version: "1.30.2" }] },
            { revisions: { stable: { version: "1.30.2", upgradedFrom: "1.28.1" } }, tags: {}, namespaces: {}, gateways: {} });
        const vs = await evaluatePolicies(run.resources.map(r => ({ type: r.type, name: r.name, props: r.inputs })));
        assert.ok(mandatory(vs).some(v => v.policyName === "istio-in-place-upgrade-skew"), JSON.stringify(vs));
    });

    it("an unsupported Kubernetes version is refused", async () => {
        const vs = await violations({ ...stackConfig("prod"), kubernetesVersion: "1.29" });
        assert.ok(mandatory(vs).some(v => v.policyName === "istio-kubernetes-version-supported"), JSON.stringify(vs));
    });

    it("a revision named after another minor is refused", async () => {
        const vs = await violations({ revisions: [{ name: "1-29", version: "1.30.2" }], namespaces: { shop: "1-29" } });
        assert.ok(mandatory(vs).some(v => v.policyName === "istio-revision-name-matches-version"), JSON.stringify(vs));
    });
});
