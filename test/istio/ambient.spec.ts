import * as assert from "assert";
import { ambientCniValues, checkNodeAgentSkew, ztunnelValues } from "../../istio";

describe("istio/ambient.ts: ambient's skew rule and chart values", () => {
    const cp = { revision: "1-31", version: "1.31.2" };

    it("a node agent may run its control plane's minor or the one below, never newer", () => {
        assert.ok(checkNodeAgentSkew("ztunnel", "1.31.0", cp).ok);
        assert.ok(checkNodeAgentSkew("ztunnel", "1.30.4", cp).ok);
        assert.deepStrictEqual(checkNodeAgentSkew("ztunnel", "1.29.3", cp), {
            ok: false, reason: "ztunnel 1.29.3 is 2 minors behind its control plane 1-31 (1.31.2) (at most 1): upgrade ztunnel to 1.31 or the minor below it first, one minor at a time",
        });
        assert.match((checkNodeAgentSkew("istio-cni", "1.31.3", cp) as { reason: string }).reason, /istio-cni 1\.31\.3 is newer than its control plane 1-31 \(1\.31\.2\)/);
    });

    it("ztunnel's values: its revision, the images, and for nodeByNode OnDelete without the provider's await; overrides cannot undo them", () => {
        const v = ztunnelValues({ version: "1.31.0", revision: "1-31", rollout: "nodeByNode", images: { hub: "r.example.com/istio" }, overrides: { updateStrategy: { type: "RollingUpdate" }, logLevel: "debug" } });
        assert.deepStrictEqual(v, {
            revision: "1-31", global: { istioNamespace: "istio-system", tag: "1.31.0", hub: "r.example.com/istio" }, logLevel: "debug",
            updateStrategy: { type: "OnDelete" }, annotations: { "pulumi.com/skipAwait": "true" },
        });
        const rolling = ztunnelValues({ version: "1.31.0", revision: "1-31", rollout: "rolling" });
        assert.strictEqual(rolling.updateStrategy, undefined);
        assert.strictEqual(rolling.annotations, undefined);
    });

    it("istio-cni's ambient switch sits at the top level from 1.24, under cni: before", () => {
        assert.deepStrictEqual(ambientCniValues("1.30.4"), { ambient: { enabled: true } });
        assert.deepStrictEqual(ambientCniValues("1.23.6"), { cni: { ambient: { enabled: true } } });
    });
});
