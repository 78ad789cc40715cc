import * as assert from "assert";
import { MeshConfigError, parseMeshConfig, PreviousState, RawConfig, rawConfigFromPulumi } from "../../model/config";
import { stackConfig } from "../support/stacks";

/** A valid config, mutated one key per test. */
function happy(): RawConfig {
    return {
        revisions: [{ version: "1.29.3" }, { version: "1.30.2" }],
        tags: { default: "1-29", canary: "1-30" },
        namespaces: { shop: "1-30", cart: "default" },
        gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "canary", replicas: 2, podDisruptionBudget: { minAvailable: 1 } }],
        cni: { enabled: true },
    };
}

/** Parses and returns the single problem (asserting there is exactly one). */
function problem(raw: RawConfig, previous?: PreviousState) {
    try {
        parseMeshConfig(raw, previous);
    } catch (e) {
        assert.ok(e instanceof MeshConfigError, `expected MeshConfigError, got ${e}`);
        assert.strictEqual(e.problems.length, 1, e.message);
        return { ...e.problems[0], text: e.message };
    }
    assert.fail("config was accepted");
}

describe("stack config -> MeshSpec", () => {
    it("accepts the happy config and derives names and defaults", () => {
        const spec = parseMeshConfig(happy());
        assert.deepStrictEqual(spec.revisions.map(r => r.name), ["1-29", "1-30"]);
        assert.strictEqual(spec.istioNamespace, "istio-system");
        assert.strictEqual(spec.gateways[0].serviceType, "LoadBalancer");
        assert.deepStrictEqual(spec.cni, { version: "1.29.3", chained: true, namespace: "istio-system", values: {} });
        assert.strictEqual(spec.charts.renderer, "helm");
        assert.strictEqual(spec.charts.repository, "oci://ghcr.io/istio/release/charts");
        assert.strictEqual(spec.restartTimeout, "5m");
    });

    for (const stack of ["staging", "prod"] as const) {
        it(`accepts Pulumi.${stack}.yaml`, () => {
            const spec = parseMeshConfig(stackConfig(stack));
            assert.ok(spec.revisions.length >= 1);
            assert.ok(spec.namespaces.length >= 1);
        });
    }

    it("advises against a prerelease of Istio (the key once, the CNI following it not again) and accepts it", () => {
        const spec = parseMeshConfig({ ...happy(), revisions: [{ version: "1.29.4-dev.9739e10e" }, { version: "1.30.2" }] });
        assert.deepStrictEqual(spec.revisions.map(r => r.version), ["1.29.4-dev.9739e10e", "1.30.2"]);
        assert.strictEqual(spec.cni?.version, "1.29.4-dev.9739e10e");
        assert.deepStrictEqual(spec.advisories.map(a => [a.key, a.value]), [["istio-mesh:revisions[0].version", "1.29.4-dev.9739e10e"]]);
        assert.match(spec.advisories[0].fix, /use a released version .* in production/);
        assert.deepStrictEqual(parseMeshConfig(happy()).advisories, []);
    });

    it("keeps an explicit revision name (in-place upgrades)", () => {
        const spec = parseMeshConfig({ revisions: [{ name: "stable", version: "1.30.2" }], namespaces: { shop: "stable" } });
        assert.strictEqual(spec.revisions[0].name, "stable");
    });

    it("refuses a version that is not x.y.z", () => {
        const p = problem({ ...happy(), revisions: [{ version: "1.29.3" }, { version: "1.30" }] });
        assert.strictEqual(p.key, "istio-mesh:revisions[1].version");
        assert.strictEqual(p.value, "1.30");
        assert.match(p.text, /not an exact Istio version.*Fix: write the full release/);
    });

    it("refuses a revision name with a dot and suggests the dashed one", () => {
        const p = problem({ ...happy(), revisions: [{ version: "1.29.3" }, { name: "1.30", version: "1.30.2" }], tags: { default: "1-29" }, namespaces: {}, gateways: [] });
        assert.strictEqual(p.key, "istio-mesh:revisions[1].name");
        assert.match(p.text, /may not contain dots.*use "1-30"/);
    });

    it("refuses duplicate revision names", () => {
        const p = problem({ ...happy(), revisions: [{ version: "1.29.3" }, { version: "1.29.4" }], tags: {}, namespaces: {}, gateways: [] });
        assert.strictEqual(p.key, "istio-mesh:revisions[1].name");
        assert.match(p.text, /duplicates revisions\[0\]/);
    });

    it("accepts two revisions on the same version under different names (new values under a new name)", () => {
        const spec = parseMeshConfig({ ...happy(), revisions: [{ version: "1.29.3" }, { name: "other", version: "1.29.3", values: { pilot: { env: { A: "1" } } } }], tags: {}, namespaces: {}, gateways: [] });
        assert.deepStrictEqual(spec.revisions.map(r => [r.name, r.version]), [["1-29", "1.29.3"], ["other", "1.29.3"]]);
    });

    it("refuses a revision named default", () => {
        const p = problem({ revisions: [{ name: "default", version: "1.30.2" }] });
        assert.strictEqual(p.key, "istio-mesh:revisions[0].name");
        assert.match(p.text, /is the default tag/);
    });

    it("refuses an empty revision list", () => {
        const p = problem({ revisions: [] });
        assert.strictEqual(p.key, "istio-mesh:revisions");
    });

    it("refuses a tag named like a revision", () => {
        const p = problem({ ...happy(), tags: { default: "1-29", canary: "1-30", "1-30": "1-30" } });
        assert.strictEqual(p.key, "istio-mesh:tags.1-30");
        assert.match(p.text, /has the name of a revision.*Fix: rename the tag/);
    });

    it("reports a broken revision once, not again in every reference to it", () => {
        const p = problem({ ...happy(), revisions: [{ version: "1.29.3" }, { version: "1.30" }] });
        assert.strictEqual(p.key, "istio-mesh:revisions[1].version");
    });

    it("refuses a tag pointing at an unknown revision (or at a tag)", () => {
        const p = problem({ ...happy(), tags: { default: "1-29", canary: "1-31" }, namespaces: {}, gateways: [] });
        assert.strictEqual(p.key, "istio-mesh:tags.canary");
        assert.strictEqual(p.value, "1-31");
        assert.match(p.text, /use one of: 1-29, 1-30/);
    });

    it("refuses a namespace bound to a missing revision or tag", () => {
        const p = problem({ ...happy(), namespaces: { shop: "1-31" } });
        assert.strictEqual(p.key, "istio-mesh:namespaces.shop");
        assert.match(p.text, /is not a revision or tag of this stack.*use one of: 1-29, 1-30, default, canary, or add revision "1-31"/);
    });

    it("refuses a gateway bound to a missing revision", () => {
        const p = problem({ ...happy(), gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "stable" }] });
        assert.strictEqual(p.key, "istio-mesh:gateways[0].revision");
        assert.match(p.text, /"stable"/);
    });

    it("refuses the istio namespace as an application namespace", () => {
        const p = problem({ ...happy(), namespaces: { "istio-system": "1-30" } });
        assert.strictEqual(p.key, "istio-mesh:namespaces.istio-system");
        assert.match(p.text, /is the istio namespace, not an application namespace.*remove it/);
    });

    it("refuses a custom istio namespace as an application namespace", () => {
        const p = problem({ ...happy(), istioNamespace: "mesh", namespaces: { mesh: "1-30" } });
        assert.strictEqual(p.key, "istio-mesh:namespaces.mesh");
    });

    it("refuses kube-system as an application namespace", () => {
        const p = problem({ ...happy(), namespaces: { "kube-system": "1-30" } });
        assert.match(p.text, /a system namespace/);
    });

    it("refuses two gateways with the same name and namespace", () => {
        const gw = { name: "ingress", namespace: "istio-ingress", revision: "1-30", replicas: 1 };
        const p = problem({ ...happy(), gateways: [gw, { ...gw, revision: "1-29" }] });
        assert.strictEqual(p.key, "istio-mesh:gateways[1].name");
        assert.match(p.text, /gateways\[0\] already is gateway istio-ingress\/ingress/);
    });

    it("accepts gateways with the same name in different namespaces", () => {
        const gw = { name: "ingress", revision: "1-30", replicas: 1 };
        const spec = parseMeshConfig({ ...happy(), gateways: [{ ...gw, namespace: "a" }, { ...gw, namespace: "b" }] });
        assert.strictEqual(spec.gateways.length, 2);
    });

    it("refuses an unknown Service type", () => {
        const p = problem({ ...happy(), gateways: [{ name: "ingress", revision: "1-30", serviceType: "Ingress" }] });
        assert.strictEqual(p.key, "istio-mesh:gateways[0].serviceType");
        assert.match(p.text, /use one of ClusterIP, NodePort, LoadBalancer/);
    });

    it("refuses a PodDisruptionBudget on a single replica", () => {
        const p = problem({ ...happy(), gateways: [{ name: "ingress", revision: "1-30", replicas: 1, podDisruptionBudget: { minAvailable: 1 } }] });
        assert.strictEqual(p.key, "istio-mesh:gateways[0].podDisruptionBudget");
        assert.match(p.text, /blocks every node drain/);
    });

    it("refuses an in-place jump of two minors, pointing at a canary revision", () => {
        const previous: PreviousState = { revisions: { stable: { version: "1.28.4" } } };
        const p = problem({ revisions: [{ name: "stable", version: "1.30.2" }] }, previous);
        assert.strictEqual(p.key, "istio-mesh:revisions[0].version");
        assert.match(p.text, /runs 1\.28\.4 now/);
        assert.match(p.text, /add a new revision \{version: 1\.30\.2\} \(name "1-30"\)/);
    });

    it("refuses an in-place downgrade across minors", () => {
        const previous: PreviousState = { revisions: { stable: { version: "1.30.2" } } };
        const p = problem({ revisions: [{ name: "stable", version: "1.29.3" }] }, previous);
        assert.match(p.text, /downgrade/);
    });

    it("accepts in-place patch and +1 minor changes", () => {
        const previous: PreviousState = { revisions: { stable: { version: "1.29.3" } } };
        parseMeshConfig({ revisions: [{ name: "stable", version: "1.29.4" }] }, previous);
        parseMeshConfig({ revisions: [{ name: "stable", version: "1.30.0" }] }, previous);
        parseMeshConfig({ revisions: [{ name: "stable", version: "1.29.1" }] }, previous);
    });

    it("refuses retiring a revision a namespace still uses, naming the namespace", () => {
        const previous: PreviousState = { revisions: { "1-29": { version: "1.29.3" }, "1-30": { version: "1.30.2" } } };
        const p = problem({ revisions: [{ version: "1.30.2" }], namespaces: { shop: "1-29" } }, previous);
        assert.strictEqual(p.key, "istio-mesh:namespaces.shop");
        assert.match(p.text, /namespace shop still uses revision "1-29", which this config retires.*move it to one of 1-30 first/);
    });

    it("refuses retiring a revision a gateway still uses", () => {
        const previous: PreviousState = { revisions: { "1-29": { version: "1.29.3" }, "1-30": { version: "1.30.2" } } };
        const p = problem({ revisions: [{ version: "1.30.2" }], gateways: [{ name: "gw", revision: "1-29" }] }, previous);
        assert.match(p.text, /gateway istio-system\/gw still uses revision "1-29"/);
    });

    it("refuses an unknown key, listing the known ones", () => {
        const p = problem({ ...happy(), revison: [] });
        assert.strictEqual(p.key, "istio-mesh:revison");
        assert.match(p.text, /is not a setting of this program.*revisions/);
    });

    it("refuses the istioctl renderer without istioctl paths", () => {
        const p = problem({ ...happy(), charts: { renderer: "istioctl" } });
        assert.strictEqual(p.key, "istio-mesh:charts.istioctl");
    });

    it("refuses a chart repository that is not oci or http", () => {
        const p = problem({ ...happy(), charts: { repository: "ghcr.io/istio" } });
        assert.strictEqual(p.key, "istio-mesh:charts.repository");
    });

    it("refuses a bad restart timeout and a bad Kubernetes version", () => {
        assert.strictEqual(problem({ ...happy(), restartTimeout: "five minutes" }).key, "istio-mesh:restartTimeout");
        assert.strictEqual(problem({ ...happy(), kubernetesVersion: "latest" }).key, "istio-mesh:kubernetesVersion");
    });

    it("refuses a CNI version that is not exact", () => {
        assert.strictEqual(problem({ ...happy(), cni: { enabled: true, version: "1.29" } }).key, "istio-mesh:cni.version");
    });

    it("lists every problem at once", () => {
        try {
            parseMeshConfig({ ...happy(), namespaces: { a: "x", b: "y" }, restartTimeout: "soon" });
            assert.fail("accepted");
        } catch (e) {
            assert.ok(e instanceof MeshConfigError);
            assert.strictEqual(e.problems.length, 3);
            assert.match(e.message, /3 problems/);
        }
    });

    it("adds the credentials pull secret to the image pull secrets", () => {
        const spec = parseMeshConfig({ ...happy(), registry: { hub: "r.example.com/istio", imagePullSecrets: ["a"] } }, undefined, true);
        assert.deepStrictEqual(spec.images.imagePullSecrets, ["a", "istio-registry-credentials"]);
        assert.strictEqual(spec.pullSecretName, "istio-registry-credentials");
    });

    it("reads Pulumi's flat config map, leaving out other namespaces and the credentials value", () => {
        const all = {
            "istio-mesh:revisions": JSON.stringify([{ version: "1.30.2" }]),
            "istio-mesh:istioNamespace": "mesh",
            "istio-mesh:kubernetesVersion": "1.33",
            "istio-mesh:renderDirectory": "[out]",
            "istio-mesh:registryCredentials": "{\"auths\":{\"r.example.com\":{\"auth\":\"dTpw\"}}}",
            "kubernetes:context": "kind",
        };
        const { raw, hasCredentials, secretKeys } = rawConfigFromPulumi(all, k => k === "istio-mesh:registryCredentials");
        assert.deepStrictEqual(raw, {
            revisions: [{ version: "1.30.2" }], istioNamespace: "mesh", kubernetesVersion: "1.33", renderDirectory: "[out]",
            registryCredentials: "[secret]",
        }, "a text key starting with [ stays text; the credentials are a mark, never their value");
        assert.strictEqual(hasCredentials, true);
        assert.deepStrictEqual(secretKeys, ["registryCredentials"]);
        const plain = rawConfigFromPulumi(all);
        assert.strictEqual(plain.raw.registryCredentials, "[set in plain text]");
        assert.strictEqual(plain.hasCredentials, false);
    });

    it("turns a structured value that is not JSON into a key-naming problem, never a SyntaxError", () => {
        const { raw } = rawConfigFromPulumi({ "istio-mesh:revisions": "[{version: 1.30.2}]" });
        const p = problem(raw);
        assert.strictEqual(p.key, "istio-mesh:revisions");
        assert.match(p.text, /looks like JSON but is not \(.*\).*Fix: write it as a YAML list/);
    });
});
