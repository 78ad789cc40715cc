import { revisionNameMatchesVersion as policy } from "../../policies/revision-names";
import { happySpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs } from "./util";

describe("istio-revision-name-matches-version", () => {
    for (const view of VIEWS) {
        it(`accepts the happy mesh (${view})`, () => assertNoStackViolations(policy, stackArgs(renderMesh(happySpec(), view))));

        it(`refuses revision 1-30 running 1.31 (${view})`, () => {
            const spec = happySpec();
            spec.revisions[1].version = "1.31.0";
            return assertHasStackViolation(policy, stackArgs(renderMesh(spec, view)), {
                message: /revision 1-30 promises Istio 1.30 but runs 1.31.0; install 1.31.0 as revision 1-31 and migrate to it/,
            });
        });
    }

    it("reads patch-qualified names (1-30-2) as their minor", async () => {
        const spec = happySpec();
        spec.revisions[1].name = "1-30-2";
        spec.tags.default = "1-30-2";
        await assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
        spec.revisions[1].version = "1.29.3";
        await assertHasStackViolation(policy, stackArgs(renderMesh(spec)), { message: "revision 1-30-2 promises Istio 1.30" });
    });

    it("accepts names that promise no version", () => {
        const spec = happySpec();
        spec.revisions = [{ name: "stable", version: "1.29.3" }, { name: "canary", version: "1.30.2" }];
        return assertNoStackViolations(policy, stackArgs(renderMesh(spec)));
    });
});
