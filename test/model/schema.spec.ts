import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CONFIG_SCHEMA, MeshConfigError, parseMeshConfig, RawConfig } from "../../model/config";
import { didYouMean } from "../../model/config/check";
import { pulumiConfigBlock, README_MARKS, referenceTable, renderPulumiYaml, renderReadme, schemaKeys } from "../../model/config/docs";

const root = path.join(__dirname, "..", "..");
const read = (name: string) => fs.readFileSync(path.join(root, name), "utf8");
const REGENERATE = "regenerate with: npx ts-node --transpile-only tools/config-docs.ts";

function problems(raw: RawConfig) {
    try {
        parseMeshConfig(raw);
    } catch (e) {
        assert.ok(e instanceof MeshConfigError, `expected MeshConfigError, got ${e}`);
        return e.problems;
    }
    return assert.fail("config was accepted");
}

describe("model/config: one schema for validation, Pulumi.yaml and the README", () => {
    it("Pulumi.yaml declares exactly the schema's keys, with its types, defaults and secret flags", () => {
        const declared = (yaml.load(read("Pulumi.yaml")) as { config: Record<string, any> }).config;
        assert.deepStrictEqual(Object.keys(declared).sort(), Object.keys(CONFIG_SCHEMA.fields).sort());
        assert.deepStrictEqual(declared, pulumiConfigBlock(), REGENERATE);
        assert.strictEqual(declared.registryCredentials.secret, true);
        assert.strictEqual(declared.revisions.default, undefined, "revisions is the one required key");
        assert.strictEqual(renderPulumiYaml(read("Pulumi.yaml")), read("Pulumi.yaml"), REGENERATE);
    });

    it("the README's reference table lists every key at every depth, as the schema says", () => {
        const readme = read("README.md");
        const table = readme.slice(readme.indexOf(README_MARKS.start), readme.indexOf(README_MARKS.end));
        for (const [key] of schemaKeys()) {
            assert.ok(table.includes(`| \`${key}\` |`), `README lacks ${key}; ${REGENERATE}`);
        }
        assert.ok(table.includes(referenceTable()), REGENERATE);
        assert.strictEqual(renderReadme(readme), readme, REGENERATE);
        assert.ok(schemaKeys().some(([k]) => k === "gateways[].podDisruptionBudget.minAvailable"), "nested keys are listed");
    });

    it("suggests the known key a typo meant, ignoring case", () => {
        assert.strictEqual(didYouMean("kubeConfig", ["kubeconfig", "context"]), "kubeconfig");
        assert.strictEqual(didYouMean("localdir", ["renderer", "repository", "localDir", "istioctl"]), "localDir");
        assert.strictEqual(didYouMean("revison", Object.keys(CONFIG_SCHEMA.fields)), "revisions");
        assert.strictEqual(didYouMean("colour", ["kubeconfig", "context"]), undefined);
    });

    it("refuses unknown keys at every depth, naming the path and the key it probably meant", () => {
        const base = { revisions: [{ version: "1.30.2" }] };
        const cases: [RawConfig, string, RegExp][] = [
            [{ ...base, kubernetes: { kubeConfig: "/k" } }, "istio-mesh:kubernetes.kubeConfig", /did you mean kubernetes\.kubeconfig\?/],
            [{ ...base, charts: { localdir: "/c" } }, "istio-mesh:charts.localdir", /did you mean charts\.localDir\?/],
            [{ ...base, gateways: [{ name: "gw", revision: "1-30", servicetype: "NodePort" }] }, "istio-mesh:gateways[0].servicetype",
                /did you mean gateways\[0\]\.serviceType\?/],
            [{ revisions: [{ version: "1.30.2", verison: "1.30.3" }] }, "istio-mesh:revisions[0].verison", /did you mean revisions\[0\]\.version\?/],
            [{ ...base, cni: { enabled: true, chainned: false } }, "istio-mesh:cni.chainned", /did you mean cni\.chained\?/],
            [{ ...base, registry: { hubs: "r.example.com" } }, "istio-mesh:registry.hubs", /did you mean registry\.hub\?/],
            [{ ...base, gateways: [{ name: "gw", revision: "1-30", podDisruptionBudget: { minavailable: 1 } }] },
                "istio-mesh:gateways[0].podDisruptionBudget.minavailable", /did you mean gateways\[0\]\.podDisruptionBudget\.minAvailable\?/],
            [{ ...base, restarttimeout: "5m" }, "istio-mesh:restarttimeout", /did you mean restartTimeout\?/],
        ];
        for (const [raw, key, fix] of cases) {
            const found = problems(raw);
            assert.deepStrictEqual(found.map(p => p.key), [key]);
            assert.match(found[0].fix, fix);
        }
    });

    it("refuses a wrong type at any depth, saying what the key takes", () => {
        const found = problems({ revisions: [{ version: 1.3 }], gateways: [{ name: "gw", revision: "1-30", replicas: "two" }], cni: { enabled: "yes" } });
        assert.deepStrictEqual(found.map(p => p.key), ["istio-mesh:revisions[0].version", "istio-mesh:gateways[0].replicas", "istio-mesh:cni.enabled"]);
        assert.match(found[0].message, /must be a text value \(quote it in YAML/);
        assert.match(found[1].message, /must be a whole number/);
        assert.match(found[2].message, /must be true or false/);
    });

    it("lists shape problems and meaning problems of different sections together", () => {
        const found = problems({ revisions: [{ version: "1.30.2" }], namespaces: { shop: "1-31" }, kubernetes: { kubeConfig: "/k" } });
        assert.deepStrictEqual(found.map(p => p.key).sort(), ["istio-mesh:kubernetes.kubeConfig", "istio-mesh:namespaces.shop"]);
    });
});
