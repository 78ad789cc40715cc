/**
 * A platform team's own Pulumi program that runs its Istio mesh with istio-mesh as a library: its own provider,
 * its own config keys, and the mesh's config as an object it builds (the keys of istio-mesh's stack config, without
 * the `istio-mesh:` prefix). An upgrade is still a reviewed change: of this object's inputs.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describeStep, IstioMesh, MeshConfig, meshArgs } from "istio-mesh";

const config = new pulumi.Config();
const kubeconfig = config.get("kubeconfig") || undefined;
const renderDirectory = config.get("renderDirectory") || undefined;
const chartsDir = config.get("chartsDir") || undefined;

/**
 * The mesh: one revision, named `stable` (upgraded in place, a minor at a time, by changing `istioVersion`), the
 * default tag on it, the team's namespaces and an ingress gateway on the tag.
 */
const mesh: MeshConfig = {
    revisions: [{ version: config.require("istioVersion"), name: "stable" }],
    tags: { default: "stable" },
    namespaces: { shop: "default", payments: "default" },
    gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "default", awaitLoadBalancer: false }],
    kubernetesVersion: "1.34",
    ...(chartsDir ? { charts: { localDir: chartsDir } } : {}),
    // The same cluster as the provider's: istio-mesh reads what the namespaces run from it before any change.
    kubernetes: { ...(kubeconfig ? { kubeconfig } : {}) },
    ...(renderDirectory ? { renderDirectory } : {}),
};

export = async () => {
    const provider = new k8s.Provider("platform", {
        kubeconfig,
        renderYamlToDirectory: renderDirectory,
        enableServerSideApply: true,
    });
    // Validates the config (an error names the key, the value and the fix) and reads the cluster, before anything is registered.
    const args = await meshArgs(mesh);
    const istio = new IstioMesh("istio", args, { providers: { kubernetes: provider } });
    // The step in upgrade terms, as the preview of istio-mesh's own program prints it.
    pulumi.log.info(describeStep(istio.upgradePlan));
    return {
        // Required: meshArgs reads it back on the next run (what runs now, for in-place upgrades and restarts).
        meshState: istio.meshState,
        revisions: istio.revisions,
    };
};
