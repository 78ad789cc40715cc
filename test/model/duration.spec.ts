import * as assert from "assert";
import { formatDuration, parseDuration } from "../../model/duration";

describe("model/duration: durations in config", () => {
    it("composes units largest first, as kubectl's durations do", () => {
        assert.strictEqual(parseDuration("24h"), 86_400_000);
        assert.strictEqual(parseDuration("1h30m"), 5_400_000);
        assert.strictEqual(parseDuration("2m30s"), 150_000);
        assert.strictEqual(parseDuration("1s500ms"), 1_500);
        assert.strictEqual(parseDuration("5ms"), 5);
        assert.strictEqual(parseDuration(" 90s "), 90_000);
    });

    it("takes days and zero only when asked", () => {
        assert.strictEqual(parseDuration("1d12h"), undefined, "kubectl has no d");
        assert.strictEqual(parseDuration("1d12h", { days: true }), 129_600_000);
        assert.strictEqual(parseDuration("0s"), undefined, "a zero timeout would fail every wait");
        assert.strictEqual(parseDuration("0s", { zero: true }), 0);
        assert.strictEqual(parseDuration("0h0m", { zero: true, days: true }), 0);
    });

    it("refuses anything else", () => {
        for (const bad of ["", " ", "24", "a day", "1.5h", "-1h", "h", "30s2m", "1h1h", "2 m", "1D", 24, undefined, null]) {
            assert.strictEqual(parseDuration(bad, { days: true, zero: true }), undefined, JSON.stringify(bad));
        }
    });

    it("formats a duration with its two largest units", () => {
        assert.strictEqual(formatDuration(93_600_000 + 60_000), "1d 2h");
        assert.strictEqual(formatDuration(3 * 3_600_000 + 5 * 60_000), "3h 5m");
        assert.strictEqual(formatDuration(86_400_000), "1d");
        assert.strictEqual(formatDuration(30_000), "0m");
    });
});
