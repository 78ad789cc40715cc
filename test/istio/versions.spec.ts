import * as assert from "assert";
import {
    checkCanarySpan, checkCniSkew, checkInPlaceChange, checkProxySkew, forVersion, isPrerelease, minorDistance, minorPromisedByRevisionName,
    parseVersion, revisionNameForVersion,
} from "../../istio";

describe("istio/versions", () => {
    it("parses exact versions only", () => {
        assert.deepStrictEqual(parseVersion("v1.30.2"), { major: 1, minor: 30, patch: 2, raw: "1.30.2" });
        assert.strictEqual(parseVersion("1.30"), undefined);
        assert.strictEqual(parseVersion("latest"), undefined);
        assert.strictEqual(parseVersion("1.31.0-beta.1")?.minor, 31);
    });

    it("tells prereleases (the offline toolchain's builds, release candidates) from releases", () => {
        assert.deepStrictEqual(["1.30.4-dev.9739e10e", "1.31.0-rc.0.eed52ebb", "v1.31.0-beta.1", "1.30.2", "v1.29.3"].map(isPrerelease),
            [true, true, true, false, false]);
    });

    it("fills {version} in wherever it appears, and only there", () => {
        assert.strictEqual(forVersion("/srv/{version}/charts-{version}", "1.30.2"), "/srv/1.30.2/charts-1.30.2");
        assert.strictEqual(forVersion("distroless", "1.30.2"), "distroless");
    });

    it("derives revision names and reads the minor a name promises", () => {
        assert.strictEqual(revisionNameForVersion("1.30.2"), "1-30");
        assert.strictEqual(minorPromisedByRevisionName("1-30"), "1.30");
        assert.strictEqual(minorPromisedByRevisionName("1-30-2"), "1.30");
        assert.strictEqual(minorPromisedByRevisionName("stable"), undefined);
    });

    it("counts minors across majors", () => {
        assert.strictEqual(minorDistance("1.28.0", "1.30.1"), 2);
        assert.strictEqual(minorDistance("1.30.1", "1.28.0"), -2);
        assert.strictEqual(minorDistance("1.99.0", "2.0.0"), 1);
    });

    it("proxy skew: never newer than istiod, istiod at most one minor ahead", () => {
        assert.ok(checkProxySkew("1.29.3", "1.30.2").ok);
        assert.ok(checkProxySkew("1.30.2", "1.30.2").ok);
        const newer = checkProxySkew("1.30.3", "1.30.2");
        assert.ok(!newer.ok && /newer than its control plane/.test(newer.reason));
        const far = checkProxySkew("1.28.0", "1.30.2");
        assert.ok(!far.ok && /2 minors ahead/.test(far.reason));
    });

    it("in-place: patch and +1 minor only, no downgrade across minors", () => {
        assert.ok(checkInPlaceChange("1.29.3", "1.29.5").ok);
        assert.ok(checkInPlaceChange("1.29.3", "1.30.0").ok);
        assert.ok(checkInPlaceChange("1.29.3", "1.29.1").ok);
        const jump = checkInPlaceChange("1.28.3", "1.30.0");
        assert.ok(!jump.ok && /canary revision/.test(jump.reason));
        const down = checkInPlaceChange("1.30.0", "1.29.3");
        assert.ok(!down.ok && /downgrade/.test(down.reason));
    });

    it("canary span: at most two minors between coexisting control planes", () => {
        assert.ok(checkCanarySpan(["1.28.1", "1.30.2"]).ok);
        assert.ok(checkCanarySpan(["1.30.2"]).ok);
        const wide = checkCanarySpan(["1.30.2", "1.27.0", "1.29.1"]);
        assert.ok(!wide.ok && /1\.27\.0 and 1\.30\.2 are 3 minors apart/.test(wide.reason));
    });

    it("CNI: control planes at CNI's minor or one above", () => {
        assert.ok(checkCniSkew("1.29.3", "1.29.0").ok);
        assert.ok(checkCniSkew("1.29.3", "1.30.2").ok);
        assert.ok(!checkCniSkew("1.30.0", "1.29.3").ok);
        assert.ok(!checkCniSkew("1.28.0", "1.30.2").ok);
    });
});
