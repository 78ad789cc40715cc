import * as assert from "assert";
import { controlPlaneSkew, inPlaceUpgradeSkew } from "../../policies/control-plane-skew";
import { happySpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

describe("istio-control-plane-skew", () => {
    for (const view of VIEWS) {
        it(`accepts the happy mesh (${view})`, () => assertNoStackViolations(controlPlaneSkew, stackArgs(renderMesh(happySpec(), view))));

        it(`refuses control planes three minors apart (${view})`, () => {
            const spec = happySpec();
            spec.revisions = [{ name: "1-28", version: "1.28.4" }, { name: "1-31", version: "1.31.0" }];
            return assertHasStackViolation(controlPlaneSkew, stackArgs(renderMesh(spec, view)), {
                message: /revision 1-31 \(1.31.0\) would run beside revision 1-28 \(1.28.4\): control planes 1.28.4 and 1.31.0 are 3 minors apart \(at most 2\); add an intermediate revision/,
            });
        });
    }

    it("accepts a canary two minors ahead", () => {
        const spec = happySpec();
        spec.revisions = [{ name: "1-28", version: "1.28.4" }, { name: "1-29", version: "1.29.3" }, { name: "1-30", version: "1.30.2" }];
        return assertNoStackViolations(controlPlaneSkew, stackArgs(renderMesh(spec)));
    });

    it("reports on the newest revision's resource", () => {
        const spec = happySpec();
        spec.revisions = [{ name: "1-28", version: "1.28.4" }, { name: "1-31", version: "1.31.0" }];
        return assertHasStackViolation(controlPlaneSkew, stackArgs(renderMesh(spec, "charts")), {
            urn: "urn:pulumi:test::istio-mesh::kubernetes:helm.sh/v4:Chart::istiod-1-31",
        });
    });
});

describe("istio-in-place-upgrade-skew", () => {
    it("says where it reads what ran before", () => {
        assert.match(inPlaceUpgradeSkew.description, /istio-mesh\.dev\/upgraded-from/);
        assert.match(inPlaceUpgradeSkew.description, /deploymentAnnotations/);
    });

    for (const view of VIEWS) {
        it(`accepts the happy mesh, a patch upgrade in place (${view})`, () =>
            assertNoStackViolations(inPlaceUpgradeSkew, stackArgs(renderMesh(happySpec(), view))));

        it(`refuses an in-place jump of two minors (${view})`, () => {
            const spec = happySpec();
            spec.revisions[1].upgradedFrom = "1.28.4";
            return assertHasStackViolation(inPlaceUpgradeSkew, stackArgs(renderMesh(spec, view)), {
                message: /revision 1-30: in-place upgrade 1.28.4 -> 1.30.2 jumps 2 minors \(at most 1\); install 1.30.2 as a new canary revision instead/,
            });
        });
    }

    it("refuses an in-place downgrade across minors", () => {
        const spec = happySpec();
        spec.revisions[1].upgradedFrom = "1.31.0";
        return assertHasStackViolation(inPlaceUpgradeSkew, stackArgs(renderMesh(spec)), { message: "in-place downgrade 1.31.0 -> 1.30.2 crosses minors" });
    });

    it("accepts one minor in place", () => {
        const spec = happySpec();
        spec.revisions[1].upgradedFrom = "1.29.3";
        return assertNoStackViolations(inPlaceUpgradeSkew, stackArgs(renderMesh(spec)));
    });

    it("ignores an annotation that is not a version", () => {
        const spec = happySpec();
        spec.revisions[1].upgradedFrom = "yesterday";
        return assertNoStackViolations(inPlaceUpgradeSkew, stackArgs(renderMesh(spec)));
    });
});
