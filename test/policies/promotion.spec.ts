import * as assert from "assert";
import { MeshState } from "../../model/facts";
import { promotionPolicy, promotionSoaked, PromotionSettings } from "../../policies/promotion";
import { happySpec, renderMesh, VIEWS } from "./mesh-fixture";
import { assertHasStackViolation, assertNoStackViolations, stackArgs, stackViolations } from "./util";

const NOW = new Date("2026-11-29T12:00:00Z");
const policy = promotionPolicy(() => NOW);
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3_600_000).toISOString();

/** The happy mesh's versions (1.29.3 and 1.30.2), both run by staging for days. */
function settings(): PromotionSettings & { sourceState: MeshState } {
    return {
        from: "acme/istio-mesh/staging",
        soak: "24h",
        sourceState: {
            revisions: { "1-30": { version: "1.30.2" } }, tags: { default: "1-30" }, namespaces: {}, gateways: {},
            versionsRun: { "1.29.3": { since: hoursAgo(24 * 60), until: hoursAgo(24 * 10) }, "1.30.2": { since: hoursAgo(48) } },
        },
    };
}
const args = (s: PromotionSettings, view: typeof VIEWS[number] = "charts") => stackArgs(renderMesh(happySpec(), view), s as Record<string, unknown>);

describe("istio-promotion-soaked", () => {
    it("is mandatory, and the default value runs on today's date", () => {
        assert.strictEqual(promotionSoaked.enforcementLevel, "mandatory");
        assert.strictEqual(promotionSoaked.name, policy.name);
    });

    for (const view of VIEWS) {
        it(`accepts the happy mesh when the source soaked its versions (${view})`, () => assertNoStackViolations(policy, args(settings(), view)));

        it(`refuses a revision and a tag on a version the source has run for 3h of 24h (${view})`, async () => {
            const s = settings();
            (s.sourceState.versionsRun as any)["1.30.2"] = { since: hoursAgo(3) };
            await assertHasStackViolation(policy, args(s, view), {
                message: /revision 1-30 would run Istio 1\.30\.2, which acme\/istio-mesh\/staging has run for 3h \(since 2026-11-29T09:00:00Z\) of the 24h soak; wait until 2026-11-30T09:00:00Z \(allowed from then\), or keep the version this stack runs \(21h to go\)/,
            });
            await assertHasStackViolation(policy, args(s, view), { message: /tag default -> 1-30 would run Istio 1\.30\.2/ });
        });
    }

    it("refuses CNI on a version the source never ran", async () => {
        const s = settings();
        delete (s.sourceState.versionsRun as any)["1.29.3"];
        await assertHasStackViolation(policy, args(s), { message: /istio-cni would run Istio 1\.29\.3, which acme\/istio-mesh\/staging has never run/ });
    });

    it("judges only what changes from the stack's own state when currentState is given", async () => {
        const s = settings();
        s.sourceState = { ...s.sourceState, versionsRun: {} };
        s.currentState = {
            revisions: { "1-29": { version: "1.29.3" }, "1-30": { version: "1.30.2" } },
            tags: { default: "1-30", stable: "1-29" }, namespaces: {}, gateways: {}, cni: { version: "1.29.3" },
        };
        await assertNoStackViolations(policy, args(s));
        s.currentState = { ...s.currentState, tags: { default: "1-29", stable: "1-29" } };
        const violations = await stackViolations(policy, args(s));
        assert.deepStrictEqual(violations.length, 1);
        assert.match(violations[0].message, /tag default -> 1-30 would run Istio 1\.30\.2, which acme\/istio-mesh\/staging has never run/);
    });

    it("does not apply without a source stack", () => assertNoStackViolations(policy, args({ ...settings(), from: undefined })));

    it("never passes without the source's state, or with one an older program recorded", async () => {
        await assertHasStackViolation(policy, args({ ...settings(), sourceState: undefined }),
            { message: /no sourceState for acme\/istio-mesh\/staging.*pulumi stack output meshState --json --stack acme\/istio-mesh\/staging/ });
        const old = settings();
        delete (old.sourceState as any).versionsRun;
        await assertHasStackViolation(policy, args(old), { message: /has no start times \(versionsRun\): it was recorded by an older istio-mesh program/ });
    });

    it("refuses a soak that is not a duration", () =>
        assertHasStackViolation(policy, args({ ...settings(), soak: "a day" }), { message: /soak "a day" is not a duration/ }));
});
