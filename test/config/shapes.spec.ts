/**
 * Values of the wrong shape, at every key of the schema: each is a problem naming the key, showing the value and
 * saying what to write, never a crash. The cases are generated from the schema, so a new key is covered as soon as
 * FULL sets it (a test fails until it does).
 */
import * as assert from "assert";
import { ConfigProblem, CREDENTIALS, MeshConfigError, parseMeshConfig, RawConfig, SchemaNode } from "../../model/config";
import { schemaKeys } from "../../model/config/docs";
import { GATE_SECRET } from "../../model/gate";
import { ProgramError, runProgram } from "../support/mocks";

/** A config that sets every key of the schema, each validly; every case changes one of them. */
const FULL: RawConfig = {
    revisions: [{ version: "1.29.3", name: "1-29", values: { pilot: { resources: { requests: { cpu: "1" } } } } }, { version: "1.30.2" }],
    tags: { default: "1-29" },
    namespaces: { shop: "default" },
    gateways: [{
        name: "ingress", namespace: "istio-ingress", revision: "default", serviceType: "LoadBalancer", awaitLoadBalancer: true, replicas: 2,
        podDisruptionBudget: { minAvailable: 1 }, values: { labels: { team: "edge" } },
    }, { name: "egress", revision: "default", replicas: 3, podDisruptionBudget: { maxUnavailable: "34%" } }],
    gatewayApi: {
        version: "1.5.1", channel: "standard", gateways: [{
            name: "storefront", namespace: "shop", revision: "1-30", className: "istio", serviceType: "ClusterIP",
            listeners: [{ name: "web", port: 443, protocol: "HTTPS", hostname: "shop.example.com", certificate: "shop-tls", routesFrom: "Same" }],
        }, { name: "edge", namespace: "shop", revision: "1-30", manifest: "gateways/edge.yaml" },
        { name: "waypoint", namespace: "catalog", revision: "1-30", className: "istio-waypoint", waypointFor: "service" }],
    },
    cni: { enabled: true, chained: true, version: "1.29.3", namespace: "kube-system", values: { resources: {} } },
    ambient: {
        enabled: true, namespaces: ["catalog"],
        ztunnel: {
            revision: "1-29", version: "1.29.3", values: { logLevel: "info" }, rollout: "nodeByNode", nodesAtOnce: 1, cordon: true, drain: true,
            drainTimeout: "5m", readyTimeout: "5m", pauseBetween: "0s",
        },
    },
    registry: { hub: "registry.example.com/istio", tag: "{version}-distroless", imagePullSecrets: ["istio-pull"], pullSecretName: "registry-credentials" },
    registryCredentials: CREDENTIALS.secret,
    charts: { renderer: "helm", repository: "oci://registry.example.com/charts", localDir: "/srv/istio/{version}", istioctl: "/opt/istio-{version}/bin/istioctl" },
    istioNamespace: "istio-system",
    kubernetesVersion: "1.33",
    renderDirectory: "./rendered",
    restartTimeout: "5m",
    kubernetes: { kubeconfig: "/home/sre/.kube/config", context: "prod", adoptExisting: false, requestTimeout: "45s" },
    rollout: { parallelNamespaces: 1, pauseBetween: "0s", restarts: "auto" },
    acknowledge: { renderDirectory: "./rendered", istioNamespace: "istio-system", context: "prod" },
    promotion: { from: "organization/istio-mesh/staging", soak: "1d" },
    decommission: false,
    healthGate: {
        prometheus: { url: "https://prometheus.example.com:9090", caFile: "/etc/ssl/prometheus-ca.pem" },
        bake: "2m", window: "1m", onNoData: "fail", istiodSelector: `app="istiod",istio_io_rev="{revision}"`,
        controlPlane: {
            xdsRejects: { enabled: true, max: 0 }, xdsInternalErrors: { enabled: true, max: 0 }, xdsWriteTimeouts: { enabled: true, max: 0 },
            xdsSendErrors: { enabled: true, max: 0 }, injectionFailures: { enabled: true, max: 0 }, convergenceP99: { enabled: true, max: 10 },
            istiodUp: { enabled: true },
        },
        dataPlane: { errorRate: { enabled: true, max: 0.01, margin: 0.005 }, latencyP99: { enabled: true, max: 2000, factor: 1.5 } },
        checks: [{ name: "slo", query: `sum(rate(errors_total{namespace="{namespace}"}[{window}]))`, comparison: "<", threshold: 1 }],
    },
    healthGateBearerToken: GATE_SECRET.secret,
    healthGateHeaders: GATE_SECRET.secret,
};

/**
 * The schema's path of a key (`revisions[].version`, `tags.<tag>`) as FULL sets it (`revisions[0].version`,
 * `tags.default`): the first list item that sets the rest of the path (a PodDisruptionBudget takes one of its two keys).
 */
function concrete(schemaPath: string): string {
    const path = schemaPath.replace("<tag>", "default").replace("<namespace>", "shop");
    const list = path.indexOf("[]");
    if (list < 0) {
        return path;
    }
    const items = (valueAt(FULL, path.slice(0, list)) ?? []) as unknown[];
    const found = items.map((_, i) => concrete(`${path.slice(0, list)}[${i}]${path.slice(list + 2)}`)).find(k => valueAt(FULL, k) !== undefined);
    return found ?? path.replace(/\[\]/g, "[0]");
}

/** The steps of a key: `gateways[0].podDisruptionBudget` -> gateways, 0, podDisruptionBudget. */
function steps(key: string): (string | number)[] {
    return key.split(/\.|(?=\[)/).map(s => (/^\[\d+\]$/.test(s) ? Number(s.slice(1, -1)) : s));
}

function valueAt(config: RawConfig, key: string): unknown {
    return steps(key).reduce((v: any, step) => v?.[step], config);
}

const DELETE = Symbol("delete");

/** FULL with the value at `key` replaced, or deleted when `value` is DELETE. */
function withValue(key: string, value: unknown): RawConfig {
    const config = JSON.parse(JSON.stringify(FULL));
    const path = steps(key);
    const parent = path.slice(0, -1).reduce((v: any, step) => v[step], config);
    if (value === DELETE) {
        delete parent[path[path.length - 1]];
    } else {
        parent[path[path.length - 1]] = value;
    }
    return config;
}

/** The problems of a config (none when it is accepted); anything thrown but the config error fails the test. */
function problems(config: RawConfig): readonly ConfigProblem[] {
    try {
        parseMeshConfig(config, undefined, true);
        return [];
    } catch (e) {
        assert.ok(e instanceof MeshConfigError, `expected the program's config error, got ${e instanceof Error ? e.stack : e}`);
        return e.problems;
    }
}

/** Values of every shape but the node's own. */
function wrongShapes(node: SchemaNode): unknown[] {
    switch (node.type) {
        case "string": return [130, true, { a: "b" }, ["a"]];
        case "integer": return ["2", 1.5, true, { a: 1 }, [1]];
        case "boolean": return ["true", 1, { a: true }, [true]];
        case "intOrString": return ["half", 1.5, true, { a: 1 }, [1]];
        case "number": return ["1", true, { a: 1 }, [1]];
        case "list": return ["text", 1, true, { a: 1 }];
        default: return ["text", 1, true, ["a"]];
    }
}

const KEYS = schemaKeys();

describe("config shapes: a wrong value at any key is a problem naming the key, never a crash", () => {
    it("FULL sets every key of the schema, and is accepted", () => {
        for (const [schemaPath] of KEYS) {
            const key = concrete(schemaPath);
            assert.notStrictEqual(valueAt(FULL, key), undefined, `FULL does not set ${key}: add it, so its wrong shapes are tested`);
        }
        assert.deepStrictEqual(problems(FULL), []);
    });

    for (const [schemaPath, node] of KEYS) {
        const key = concrete(schemaPath);
        for (const wrong of wrongShapes(node)) {
            it(`${key} = ${JSON.stringify(wrong)}: refused, naming the key, the value and what to write`, () => {
                const found = problems(withValue(key, wrong));
                const p = found.find(x => x.key === `istio-mesh:${key}`);
                assert.ok(p, `no problem names ${key}: ${JSON.stringify(found)}`);
                assert.deepStrictEqual(p.value, wrong);
                assert.match(p.message, /^must be /);
                assert.match(p.fix, /^write it as /);
            });
        }
        // A map's entry with no value is a problem: tested with its map, below.
        const entry = schemaPath.endsWith(">");
        if (!entry && !node.required) {
            it(`${key}: null (YAML's "${key.replace(/^.*[.\]]/, "")}:" with nothing after it) is the same as unset`, () => {
                assert.deepStrictEqual(problems(withValue(key, null)), problems(withValue(key, DELETE)));
                if (problems(withValue(key, DELETE)).length === 0) {
                    assert.deepStrictEqual(parseMeshConfig(withValue(key, null), undefined, true), parseMeshConfig(withValue(key, DELETE), undefined, true));
                }
            });
        }
        if (!entry && node.required) {
            it(`${key}: null is refused as required`, () => {
                const found = problems(withValue(key, null));
                assert.ok(found.some(p => p.key === `istio-mesh:${key}` && p.message === "is required" && /^set it, e\.g\. /.test(p.fix)), JSON.stringify(found));
            });
        }
        if (node.type === "list" || node.type === "map") {
            const item = node.type === "list" ? `${key}[1]` : `${key}.other`;
            it(`${item} with no value (a dangling "-" or "${item.replace(/^.*[.\]]/, "")}:") is refused, naming it`, () => {
                const own = valueAt(FULL, key);
                const found = problems(withValue(key, node.type === "list" ? [(own as unknown[])[0], null] : { ...(own as object), other: null }));
                const p = found.find(x => x.key === `istio-mesh:${item}`);
                assert.ok(p, `no problem names ${item}: ${JSON.stringify(found)}`);
                assert.strictEqual(p.value, null);
                assert.match(p.message, /with no value$/);
                assert.match(p.fix, /^remove it, or write it, e\.g\. /);
            });
        }
    }
});

describe("config shapes: a list item with no value, through the real program", () => {
    for (const key of ["revisions", "gateways"]) {
        it(`${key}: [null] is refused naming ${key}[0], before anything is registered`, async () => {
            await assert.rejects(runProgram({ revisions: [{ version: "1.30.2" }], [key]: [null] }), (e: ProgramError) => {
                assert.match(e.message, /^invalid istio-mesh stack config/);
                assert.ok(e.message.includes(`istio-mesh:${key}[0] = null: is an item with no value. Fix: remove it, or write it, e.g. `), e.message);
                assert.doesNotMatch(e.message, /TypeError|internal error/);
                assert.deepStrictEqual(e.registered, []);
                return true;
            });
        });
    }
});
