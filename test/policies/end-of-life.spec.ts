import * as assert from "assert";
import { endOfLifePolicy, versionNotEndOfLife } from "../../policies/end-of-life";
import { happySpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs, stackViolations } from "./util";

const at = (date: string) => endOfLifePolicy(() => new Date(`${date}T12:00:00Z`));

describe("istio-version-not-end-of-life", () => {
    it("is advisory, and the default value runs on today's date", () => {
        assert.strictEqual(versionNotEndOfLife.enforcementLevel, "advisory");
        assert.strictEqual(versionNotEndOfLife.name, at("2026-01-01").name);
    });

    for (const view of VIEWS) {
        it(`accepts the happy mesh while 1.29 and 1.30 are supported (${view})`, () =>
            assertNoStackViolations(at("2026-06-01"), stackArgs(renderMesh(happySpec(), view))));

        it(`flags 1.29 control plane and CNI once 1.29 is past end of life, once for both (${view})`, async () => {
            const violations = await stackViolations(at("2026-09-15"), stackArgs(renderMesh(happySpec(), view)));
            assert.strictEqual(violations.length, 1, violations.map(v => v.message).join("\n"));
            assert.match(violations[0].message,
                /revision 1-29, istio-cni run Istio 1.29.3: Istio 1.29 reached end of life on 2026-08-31; plan an upgrade to 1\.30 or newer \(the oldest supported release\)/);
        });
    }

    it("is still supported on its end-of-life day", () => assertNoStackViolations(at("2026-08-31"), stackArgs(renderMesh(happySpec()))));

    it("flags a version the support table does not know", () => {
        const spec = happySpec();
        spec.revisions.push({ name: "1-40", version: "1.40.0" });
        return assertHasStackViolation(at("2026-06-01"), stackArgs(renderMesh(spec, "charts")), {
            message: /istiod chart \(resource "istiod-1-40"\): revision 1-40 runs Istio 1.40.0: Istio 1.40.0 is not in the support table/,
        });
    });
});
