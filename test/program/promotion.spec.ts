/**
 * The promotion gate through the real program under Pulumi's mocks: the source stack's outputs come from the
 * mocks' readStackOutputs, as `pulumi preview` and `up` would read them.
 */
import * as assert from "assert";
import { RawConfig } from "../../model/config";
import { MeshState } from "../../model/facts";
import { ofType, ProgramRun, runProgram, SELF_STACK, TYPES } from "../support/mocks";
import { stackConfig } from "../support/stacks";

const SOURCE = "organization/istio-mesh/staging";
const HOUR = 3_600_000;
const ago = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();

/** prod today: 1.30.2 behind `default`, CNI 1.30.2; recorded by this program a week ago. */
const prodNow: MeshState = {
    revisions: { "1-30": { version: "1.30.2" } },
    tags: { default: "1-30" },
    namespaces: { shop: { target: "default", revision: "1-30", version: "1.30.2" } },
    gateways: {},
    cni: { version: "1.30.2" },
    versionsRun: { "1.30.2": { since: ago(24 * 7) } },
};
/** prod's next step: add the 1.31 canary and point `canary` at it. */
const addCanary: RawConfig = {
    revisions: [{ version: "1.30.2" }, { version: "1.31.1" }],
    tags: { default: "1-30", canary: "1-31" },
    namespaces: { shop: "default" },
    cni: { enabled: true, version: "1.30.2" },
    promotion: { from: SOURCE, soak: "24h" },
};

/** staging's outputs, having run 1.31.1 for `hours`. */
function staging(hours: number, extra: Partial<MeshState> = {}): Record<string, unknown> {
    return {
        meshState: {
            revisions: { "1-30": { version: "1.30.2" }, "1-31": { version: "1.31.1" } },
            tags: { default: "1-31" }, namespaces: {}, gateways: {},
            versionsRun: { "1.30.2": { since: ago(24 * 30) }, "1.31.1": { since: ago(hours) } },
            ...extra,
        },
    };
}

async function refusal(run: Promise<ProgramRun>): Promise<string> {
    try {
        await run;
    } catch (e) {
        return e instanceof Error ? e.message : String(e);
    }
    assert.fail("expected the program to refuse the step");
}

describe("program: the promotion gate under mocks", () => {
    it("allows the step once the source has run the version for the soak, and records the promotion", async () => {
        const run = await runProgram(addCanary, prodNow, {}, undefined, { [SOURCE]: staging(25) });
        assert.ok(ofType(run, TYPES.chart).some(c => c.name === "istiod-1-31"));
        assert.deepStrictEqual(run.outputs.promotion, { from: SOURCE, soak: "24h" });
        // 1.30.2 keeps its start; 1.31.1 starts now.
        assert.strictEqual(run.outputs.meshState.versionsRun["1.30.2"].since, prodNow.versionsRun!["1.30.2"].since);
        assert.ok(Date.parse(run.outputs.meshState.versionsRun["1.31.1"].since) > Date.parse(ago(1)));
    });

    it("refuses it before the soak is over, naming the version, the source, how long it ran and when it is allowed", async () => {
        const message = await refusal(runProgram(addCanary, prodNow, {}, undefined, { [SOURCE]: staging(3) }));
        assert.match(message, /istio-mesh:revisions\[1\]\.version = "1\.31\.1": revision 1-31 would run Istio 1\.31\.1, which organization\/istio-mesh\/staging has run for (2h 59m|3h) \(since [0-9T:.-]+Z\) of the 24h soak/);
        assert.match(message, /istio-mesh:tags\.canary = "1\.31\.1": tag canary -> 1-31 would run Istio 1\.31\.1/);
        assert.match(message, /Fix: wait until [0-9T:.-]+Z \(allowed from then\)/);
    });

    it("refuses a version the source never ran", async () => {
        const config = { ...addCanary, revisions: [{ version: "1.30.2" }, { version: "1.31.2" }] };
        const message = await refusal(runProgram(config, prodNow, {}, undefined, { [SOURCE]: staging(100) }));
        assert.match(message, /revisions\[1\]\.version = "1\.31\.2": revision 1-31 would run Istio 1\.31\.2, which organization\/istio-mesh\/staging has never run/);
    });

    it("refuses a CNI upgrade and a tag move to a version the source has not soaked", async () => {
        const config = { ...addCanary, revisions: [{ version: "1.30.2" }, { version: "1.31.1" }], tags: { default: "1-31" }, cni: { enabled: true, version: "1.31.1" } };
        const previous = { ...prodNow, revisions: { ...prodNow.revisions, "1-31": { version: "1.31.1" } } };
        const message = await refusal(runProgram(config, previous, {}, undefined, { [SOURCE]: staging(2) }));
        assert.match(message, /istio-mesh:cni\.version = "1\.31\.1": istio-cni would run Istio 1\.31\.1/);
        assert.match(message, /istio-mesh:tags\.default = "1\.31\.1": tag default -> 1-31/);
        assert.doesNotMatch(message, /revisions\[1\]/, "the revision already runs here: only what changes is judged");
    });

    it("a source that does not exist or cannot be read is an error naming the key, never a pass", async () => {
        const missing = await refusal(runProgram(addCanary, prodNow));
        assert.match(missing, /istio-mesh:promotion\.from = "organization\/istio-mesh\/staging": stack organization\/istio-mesh\/staging could not be read \(.*unknown stack/);
        assert.match(missing, /Fix: name an existing stack/);
        const unreadable = await refusal(runProgram(addCanary, prodNow, {}, undefined, { [SOURCE]: new Error("permission denied") }));
        assert.match(unreadable, /could not be read \(.*permission denied/);
    });

    it("refuses a source with no recorded state, or one recorded by an older program", async () => {
        const empty = await refusal(runProgram(addCanary, prodNow, {}, undefined, { [SOURCE]: {} }));
        assert.match(empty, /promotion\.from = .*has recorded no mesh state/);
        const old = staging(100);
        delete (old.meshState as any).versionsRun;
        const message = await refusal(runProgram(addCanary, prodNow, {}, undefined, { [SOURCE]: old }));
        assert.match(message, /promotion\.from = .*last deployed by an older version of this program.*Fix: run `pulumi up` on organization\/istio-mesh\/staging/);
    });

    it("refuses a promotion from the stack itself, and a cycle", async () => {
        const self = await refusal(runProgram({ ...addCanary, promotion: { from: "test", soak: "24h" } }, prodNow));
        assert.match(self, /promotion\.from = "test": names this stack itself/);
        const cycle = await refusal(runProgram(addCanary, prodNow, {}, undefined,
            { [SOURCE]: { ...staging(100), promotion: { from: SELF_STACK, soak: "1h" } } }));
        assert.match(cycle, /is itself promoted from this stack \(organization\/istio-mesh\/test\): a cycle/);
    });

    it("gates the repo's prod stack on staging (Pulumi.prod.yaml)", async () => {
        const prod = stackConfig("prod", { promotion: true });
        assert.deepStrictEqual(prod.promotion, { from: SOURCE, soak: "24h" });
        const soaked = { meshState: { ...(staging(0).meshState as MeshState), versionsRun: { "1.30.2": { since: ago(48) } } } };
        const run = await runProgram(prod, undefined, {}, undefined, { [SOURCE]: soaked });
        assert.deepStrictEqual(Object.keys(run.outputs.meshState.versionsRun), ["1.30.2"]);
        const fresh = { meshState: { ...(staging(0).meshState as MeshState), versionsRun: { "1.30.2": { since: ago(1) } } } };
        assert.match(await refusal(runProgram(prod, undefined, {}, undefined, { [SOURCE]: fresh })), /revision 1-30 would run Istio 1\.30\.2.*has run for 1h/);
    });

    it("refuses a soak that is not a duration", async () => {
        const message = await refusal(runProgram({ ...addCanary, promotion: { from: SOURCE, soak: "a day" } }, prodNow));
        assert.match(message, /istio-mesh:promotion\.soak = "a day": is not a duration/);
    });
});
