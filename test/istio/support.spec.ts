import * as assert from "assert";
import { checkEndOfLife, checkKubernetesSupport, kubernetesMinor, SUPPORT_TABLE, supportFor } from "../../istio";

describe("istio/support", () => {
    it("holds one row per minor, in order, each with a Kubernetes range", () => {
        const minors = SUPPORT_TABLE.map(r => r.minor);
        assert.deepStrictEqual(minors, [...new Set(minors)]);
        for (const row of SUPPORT_TABLE) {
            assert.match(row.kubernetes[0], /^1\.\d+$/);
            assert.match(row.kubernetes[1], /^1\.\d+$/);
        }
    });

    it("finds the row of a version", () => {
        assert.strictEqual(supportFor("1.30.2")?.minor, "1.30");
        assert.strictEqual(supportFor("1.12.0"), undefined);
    });

    it("reads Kubernetes versions as providers report them", () => {
        assert.strictEqual(kubernetesMinor("v1.33.4-gke.100"), "1.33");
        assert.strictEqual(kubernetesMinor("1.33"), "1.33");
        assert.strictEqual(kubernetesMinor("x"), undefined);
    });

    it("checks the Kubernetes range inclusively", () => {
        assert.strictEqual(checkKubernetesSupport("1.30.2", "1.32").status, "supported");
        assert.strictEqual(checkKubernetesSupport("1.30.2", "1.36.1").status, "supported");
        const old = checkKubernetesSupport("1.30.2", "1.31");
        assert.strictEqual(old.status, "unsupported");
        assert.match((old as { reason: string }).reason, /supports Kubernetes 1\.32-1\.36, not 1\.31/);
        assert.strictEqual(checkKubernetesSupport("1.40.0", "1.33").status, "unknown");
    });

    it("knows end of life by date", () => {
        assert.strictEqual(checkEndOfLife("1.28.1", new Date("2026-05-30")).status, "supported");
        assert.strictEqual(checkEndOfLife("1.28.1", new Date("2026-06-01")).status, "end-of-life");
        assert.strictEqual(checkEndOfLife("1.30.2", new Date("2030-01-01")).status, "supported");
        assert.strictEqual(checkEndOfLife("1.5.0").status, "unknown");
    });
});
