import * as assert from "assert";
import * as yaml from "js-yaml";
import { baseValues, cniValues, istioctlCommand, istioctlOverlay, istiodValues, overlayText, ztunnelValues } from "../../istio";

describe("istio/istioctl: the values tree as an IstioOperator overlay", () => {
    const images = { hub: "registry.example.com/istio", imagePullSecrets: ["pull"] };
    const istiod = istiodValues({
        version: "1.30.2", revision: "1-30", istioNamespace: "mesh", images, cni: { enabled: true },
        upgradedFrom: "1.30.1", kubernetesVersion: "1.33",
        overrides: { env: { PILOT_ENABLE_STATUS: "true" }, meshConfig: { accessLogFile: "/dev/stdout" } },
    });

    it("istiod: the chart's whole tree as the overlay's values, only pilot rendered, in the istio namespace", () => {
        assert.deepStrictEqual(istioctlOverlay("pilot", "mesh", istiod), {
            apiVersion: "install.istio.io/v1alpha1",
            kind: "IstioOperator",
            spec: { profile: "empty", components: { pilot: { enabled: true, namespace: "mesh" } }, unvalidatedValues: istiod },
        });
    });

    it("keeps what the old --set flags dropped: per-revision values and the program's annotations", () => {
        const values = istioctlOverlay("pilot", "mesh", istiod).spec.unvalidatedValues as any;
        assert.deepStrictEqual(values.pilot, { cni: { enabled: true } });
        assert.deepStrictEqual(values.env, { PILOT_ENABLE_STATUS: "true" });
        assert.deepStrictEqual(values.meshConfig, { accessLogFile: "/dev/stdout" });
        assert.deepStrictEqual(values.deploymentAnnotations, {
            "istio-mesh.dev/upgraded-from": "1.30.1", "istio-mesh.dev/kubernetes-version": "1.33",
        });
    });

    it("base and cni: their own component and namespace, their chart's tree", () => {
        const base = baseValues({ defaultRevision: "1-30", istioNamespace: "mesh" });
        assert.deepStrictEqual(istioctlOverlay("base", "mesh", base).spec, {
            profile: "empty", components: { base: { enabled: true } }, values: { global: { istioNamespace: "mesh" } }, unvalidatedValues: base,
        });
        const cni = cniValues({ version: "1.30.2", chained: false, istioNamespace: "mesh", images, overrides: { cniBinDir: "/home/kubernetes/bin" } });
        const overlay = istioctlOverlay("cni", "kube-system", cni);
        assert.deepStrictEqual(overlay.spec.components, { cni: { enabled: true, namespace: "kube-system" } });
        assert.deepStrictEqual(overlay.spec.unvalidatedValues, { chained: false, cniBinDir: "/home/kubernetes/bin", global: cni.global });
    });

    it("ztunnel: its own values under its component's root (ztunnel), global shared", () => {
        const z = ztunnelValues({ version: "1.31.0", revision: "1-31", rollout: "nodeByNode", istioNamespace: "mesh", images });
        const overlay = istioctlOverlay("ztunnel", "mesh", z);
        assert.deepStrictEqual(overlay.spec.components, { ztunnel: { enabled: true, namespace: "mesh" } });
        assert.deepStrictEqual(overlay.spec.unvalidatedValues, {
            global: z.global, ztunnel: { revision: "1-31", updateStrategy: { type: "OnDelete" }, annotations: { "pulumi.com/skipAwait": "true" } },
        });
    });

    it("the text istioctl reads is the overlay exactly: strings that look like numbers stay strings", () => {
        // `--set ...=1.33` would reach the chart as the number 1.33; the YAML (JSON) text keeps the string.
        const overlay = istioctlOverlay("pilot", "mesh", istiod);
        const read = yaml.load(overlayText(overlay));
        assert.deepStrictEqual(read, overlay);
        assert.strictEqual((read as any).spec.unvalidatedValues.deploymentAnnotations["istio-mesh.dev/kubernetes-version"], "1.33");
    });

    it("reads the overlay from stdin, istioctl's path quoted for the shell", () => {
        assert.strictEqual(istioctlCommand("/opt/istio 1.30/it's/istioctl"),
            `'/opt/istio 1.30/it'\\''s/istioctl' manifest generate -f -`);
    });
});
