import * as assert from "assert";
import { MeshConfigError, parseMeshConfig, PreviousState, RawConfig } from "../../../model/config";
import { namespaceWaypoints } from "../../../model/ambient/waypoints";
import { meshFacts, planUpgrade } from "../../../model/facts";

/** An ambient mesh in the middle of an upgrade: 1-30 and 1-31, ztunnel on 1-31. Mutated one key per test. */
function happy(): RawConfig {
    return {
        revisions: [{ version: "1.30.4" }, { version: "1.31.0" }],
        tags: { default: "1-30" },
        namespaces: { shop: "default" },
        cni: { enabled: true },
        ambient: { enabled: true, namespaces: ["catalog"], ztunnel: { revision: "1-31", drain: true } },
    };
}

function problems(raw: RawConfig, previous?: PreviousState) {
    try {
        parseMeshConfig(raw, previous);
    } catch (e) {
        assert.ok(e instanceof MeshConfigError, `expected MeshConfigError, got ${e}`);
        return e.problems;
    }
    assert.fail("config was accepted");
}

function problem(raw: RawConfig, previous?: PreviousState) {
    const found = problems(raw, previous);
    assert.strictEqual(found.length, 1, found.map(p => `${p.key}: ${p.message}`).join("\n"));
    return found[0];
}

const PREVIOUS: PreviousState = { revisions: { "1-30": { version: "1.30.4" } }, ambient: { ztunnel: { version: "1.30.4", revision: "1-30" }, namespaces: ["catalog"] } };

describe("stack config: ambient mode", () => {
    it("accepts an ambient mesh: ztunnel follows its revision, istio-cni follows ztunnel, node-by-node defaults", () => {
        const spec = parseMeshConfig(happy(), PREVIOUS);
        assert.deepStrictEqual(spec.ambient, {
            namespaces: ["catalog"],
            ztunnel: {
                version: "1.31.0", revision: "1-31", values: {}, rollout: "nodeByNode", nodesAtOnce: 1, cordon: true, drain: true,
                drainTimeout: "5m", readyTimeout: "5m", pauseBetween: "0s",
            },
        });
        // In ambient mode istio-cni moves with ztunnel (before it), not with the oldest revision.
        assert.strictEqual(spec.cni!.version, "1.31.0");
    });

    it("ztunnel follows the default tag's revision by default (adding a revision leaves it), else the newest revision", () => {
        const raw = happy();
        (raw.ambient as any).ztunnel = {};
        assert.deepStrictEqual([parseMeshConfig(raw).ambient!.ztunnel.revision, parseMeshConfig(raw).cni!.version], ["1-30", "1.30.4"]);
        raw.tags = {};
        raw.namespaces = { shop: "1-30" };
        assert.strictEqual(parseMeshConfig(raw).ambient!.ztunnel.revision, "1-31");
    });

    it("refuses a ztunnel two minors behind its control plane, naming the rule", () => {
        const raw = happy();
        (raw.ambient as any).ztunnel.version = "1.29.3";
        const found = problems(raw);
        const p = found.find(x => x.key === "istio-mesh:ambient.ztunnel.version")!;
        assert.strictEqual(p.value, "1.29.3");
        assert.match(p.message, /ztunnel 1\.29\.3 is 2 minors behind its control plane 1-31 \(1\.31\.0\) \(at most 1\)/);
        assert.match(p.fix, /within one minor below/);
    });

    it("refuses a ztunnel newer than its control plane", () => {
        const raw = happy();
        (raw.ambient as any).ztunnel = { revision: "1-30", version: "1.31.0" };
        const p = problem(raw);
        assert.strictEqual(p.key, "istio-mesh:ambient.ztunnel.version");
        assert.match(p.message, /ztunnel 1\.31\.0 is newer than its control plane 1-30 \(1\.30\.4\): upgrade istiod first/);
    });

    it("refuses an in-place jump of two minors from what ztunnel runs", () => {
        const raw = happy();
        raw.revisions = [{ version: "1.31.0" }];
        raw.tags = { default: "1-31" };
        (raw.ambient as any).ztunnel = {};
        const found = problems(raw, { revisions: { "1-31": { version: "1.31.0" } }, ambient: { ztunnel: { version: "1.29.3", revision: "1-29" }, namespaces: [] } });
        const p = found.find(x => x.key === "istio-mesh:ambient.ztunnel.version")!;
        assert.ok(p, found.map(x => `${x.key}: ${x.message}`).join("\n"));
        assert.match(p.message, /ztunnel runs 1\.29\.3 now and has no canary .*jumps 2 minors/);
    });

    it("refuses a ztunnel revision that is a tag", () => {
        const raw = happy();
        (raw.ambient as any).ztunnel.revision = "default";
        const p = problems(raw).find(x => x.key === "istio-mesh:ambient.ztunnel.revision")!;
        assert.match(p.message, /is a tag; ztunnel connects to one revision's istiod/);
        assert.match(p.fix, /the tag points at 1-30/);
    });

    it("refuses ambient without istio-cni", () => {
        const raw = happy();
        delete raw.cni;
        const p = problem(raw);
        assert.strictEqual(p.key, "istio-mesh:cni.enabled");
        assert.match(p.message, /ambient mode needs istio-cni/);
    });

    it("refuses a namespace that is both sidecar and ambient", () => {
        const raw = happy();
        (raw.ambient as any).namespaces = ["shop"];
        const p = problem(raw);
        assert.strictEqual(p.key, "istio-mesh:ambient.namespaces[0]");
        assert.match(p.message, /is also in namespaces \(sidecars, default\): a namespace runs sidecars or ambient, not both/);
    });

    it("refuses ambient settings while ambient is off, and turning it off while it ran", () => {
        const raw = happy();
        (raw.ambient as any).enabled = false;
        assert.deepStrictEqual(problems(raw).map(p => p.key), ["istio-mesh:ambient.namespaces", "istio-mesh:ambient.ztunnel"]);
        assert.match(problems(raw)[0].message, /is set, but ambient mode is off/);
        const off = { ...happy(), ambient: {} };
        const p = problem(off, PREVIOUS);
        assert.strictEqual(p.key, "istio-mesh:ambient.enabled");
        assert.match(p.fix, /move every ambient namespace back to sidecars first/);
    });

    it("refuses node-by-node settings with rolling, drain without cordon, and bad durations", () => {
        const raw = happy();
        (raw.ambient as any).ztunnel = { rollout: "rolling", nodesAtOnce: 2 };
        assert.match(problem(raw).message, /is a setting of the node-by-node rollout, but ambient\.ztunnel\.rollout is rolling/);
        (raw.ambient as any).ztunnel = { drain: true, cordon: false };
        assert.strictEqual(problem(raw).key, "istio-mesh:ambient.ztunnel.cordon");
        (raw.ambient as any).ztunnel = { drainTimeout: "soon" };
        assert.strictEqual(problem(raw).key, "istio-mesh:ambient.ztunnel.drainTimeout");
        (raw.ambient as any).ztunnel = { rollout: "nodeByNodes" };
        assert.match(problem(raw).message, /is not one of nodeByNode, rolling/);
    });

    it("refuses a revision named ambient", () => {
        const raw = happy();
        raw.revisions = [{ version: "1.30.4", name: "ambient" }, { version: "1.31.0" }];
        raw.tags = { default: "ambient" };
        const p = problem(raw);
        assert.strictEqual(p.key, "istio-mesh:revisions[0].name");
    });

    it("the plan reads as an ambient upgrade: ztunnel after istio-cni, namespaces entering and leaving the ambient mesh", () => {
        const before = meshFacts(parseMeshConfig({ ...happy(), revisions: [{ version: "1.30.4" }], ambient: { enabled: true, namespaces: ["catalog"] }, namespaces: { shop: "1-30" }, tags: {} })).state;
        const raw = { ...happy(), namespaces: { catalog: "1-31" }, ambient: { enabled: true, namespaces: ["shop"], ztunnel: { revision: "1-31" } }, tags: {} };
        const plan = planUpgrade(before, meshFacts(parseMeshConfig(raw, before)));
        assert.deepStrictEqual(plan.ztunnel, { from: { version: "1.30.4", revision: "1-30" }, to: { version: "1.31.0", revision: "1-31" } });
        assert.deepStrictEqual(plan.namespacesReleased, []);
        assert.deepStrictEqual(plan.summary, [
            "CRDs: 1.30.4 -> 1.31.0, applied before any control plane",
            "add control plane 1-31 (1.31.0)",
            "istio-cni: 1.30.4 -> 1.31.0",
            "ztunnel: 1.30.4 (served by 1-30) -> 1.31.0 (served by 1-31)",
            "namespace catalog: ambient -> 1-31 (1.31.0); its workloads restart to get sidecars",
            "namespace shop: 1-30 (1.30.4) -> ambient (istio.io/dataplane-mode=ambient); its workloads restart so their sidecars go",
        ]);
    });
});

describe("stack config: waypoints (Gateway API gateways of class istio-waypoint)", () => {
    const withWaypoint = (gw: Record<string, unknown>, ambient = true): RawConfig => ({
        ...happy(), ...(ambient ? {} : { ambient: {} }), gatewayApi: { gateways: [{ name: "waypoint", namespace: "catalog", revision: "1-30", className: "istio-waypoint", ...gw }] },
    });

    it("a waypoint needs no listeners, takes service traffic by default, is ClusterIP, and its namespace uses it", () => {
        const spec = parseMeshConfig(withWaypoint({}));
        assert.deepStrictEqual(spec.gatewayApi.gateways, [{ name: "waypoint", namespace: "catalog", target: "1-30", className: "istio-waypoint", serviceType: "ClusterIP", waypointFor: "service" }]);
        assert.deepStrictEqual(namespaceWaypoints(spec), { catalog: "waypoint" });
    });

    it("refuses listeners on a waypoint, waypointFor on another class, and a waypoint without ambient mode", () => {
        assert.strictEqual(problem(withWaypoint({ listeners: [{ port: 80 }] })).key, "istio-mesh:gatewayApi.gateways[0].listeners");
        assert.match(problem(withWaypoint({ className: "istio", waypointFor: "all", listeners: [{ port: 80 }] })).message, /is a setting of waypoints, but className is istio/);
        const raw = withWaypoint({}, false);
        (raw.namespaces as Record<string, string>).catalog = "1-30";
        const p = problem(raw);
        assert.strictEqual(p.key, "istio-mesh:gatewayApi.gateways[0].className");
        assert.match(p.message, /is a waypoint's, but ambient mode is off/);
    });

    it("the plan lists each waypoint with its revision, moved after ztunnel and the tags (as a Gateway API gateway)", () => {
        const before = meshFacts(parseMeshConfig(withWaypoint({}))).state;
        const moved = withWaypoint({ revision: "1-31" });
        moved.tags = { default: "1-31" };
        const plan = planUpgrade(before, meshFacts(parseMeshConfig(moved, before)));
        assert.deepStrictEqual(plan.gatewayApi.moving.map(m => [m.name, m.from?.revision, m.to?.revision]), [["catalog/waypoint", "1-30", "1-31"]]);
        const s = plan.summary;
        const line = s.findIndex(l => l.startsWith("Gateway API gateway catalog/waypoint: 1-30 (1.30.4) -> 1-31 (1.31.0)"));
        assert.ok(line > s.indexOf("tag default: 1-30 -> 1-31") && line > s.findIndex(l => l.startsWith("ztunnel: ")), s.join("\n"));
    });
});
