import * as assert from "assert";
import { DEFAULT_MAX_CONTROL_PLANES, maxControlPlanes as policy } from "../../policies/control-plane-count";
import { happySpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

function fourRevisions() {
    const spec = happySpec();
    spec.revisions = [
        { name: "canary", version: "1.30.2" },
        { name: "1-28", version: "1.28.4" },
        { name: "1-29", version: "1.29.3" },
        { name: "1-30", version: "1.30.2" },
    ];
    return spec;
}

describe("istio-max-control-planes", () => {
    it("has a maxControlPlanes setting defaulting to 3", () => {
        assert.strictEqual(DEFAULT_MAX_CONTROL_PLANES, 3);
        assert.strictEqual(policy.configSchema!.properties.maxControlPlanes.default, 3);
    });

    for (const view of VIEWS) {
        it(`accepts the happy mesh (${view})`, () => assertNoStackViolations(policy, stackArgs(renderMesh(happySpec(), view))));

        it(`refuses four control planes by default, naming the oldest to retire (${view})`, () =>
            assertHasStackViolation(policy, stackArgs(renderMesh(fourRevisions(), view)), {
                message: /the plan runs 4 control planes \(1-28, 1-29, canary, 1-30\), at most 3; retire revision 1-28 \(the oldest\) first/,
            }));
    }

    it("accepts four control planes when maxControlPlanes is 4", () =>
        assertNoStackViolations(policy, stackArgs(renderMesh(fourRevisions()), { maxControlPlanes: 4 })));

    it("refuses two control planes when maxControlPlanes is 1", () =>
        assertHasStackViolation(policy, stackArgs(renderMesh(happySpec()), { maxControlPlanes: 1 }), { message: "2 control planes (1-29, 1-30), at most 1" }));
});
