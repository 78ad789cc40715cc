/**
 * `npm start`: the main job on a local default. On a throwaway KWOK cluster (127.0.0.1), installs Istio
 * (the older minor) with this program, with a Gateway API gateway (`storefront`, deployed by istiod), then shows the next
 * canary step (add the newer minor, move two namespaces and the gateway) as `pulumi preview` and as `npm run plan` would print it. The health gate is on: the cluster's Prometheus
 * scrapes each istiod and the data-plane fixture (healthy traffic in every namespace), so `up` gates the control plane
 * and the plan lists each gate of the next step with its checks' values. Builds the offline toolchain first when it is
 * missing. KEEP=1 leaves the cluster and project running and says how to use them.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { GATEWAY_CLASS, gatewayApiSupportFor, gatewayDeploymentName } from "../istio";
import { RawConfig } from "../model/config";
import { pulumiCliProblem } from "../plan/pulumi-cli";
import { appNamespace, LocalCluster, LocalProject, REPO, toolchainEnv, toolchainMissing } from "./local";
import { proxyStatusLines } from "./proxyStatus";

/** The storefront Gateway API gateway's Deployment, as istiod names it. */
const STOREFRONT = gatewayDeploymentName("storefront", GATEWAY_CLASS.istio);

function say(text: string): void {
    process.stdout.write(`\n== ${text}\n`);
}

function main(): number {
    const missing = toolchainMissing();
    if (missing) {
        say(`The offline toolchain is not built (${missing}).`);
        say("Building it now with tools/offline/toolchain.sh: a cold build takes 45-60 minutes on 2 cores; later runs reuse it.");
        const built = spawnSync("bash", [path.join(REPO, "tools", "offline", "toolchain.sh")], { stdio: "inherit" });
        if (built.status !== 0) {
            return built.status ?? 1;
        }
    }
    const env = toolchainEnv();
    const cli = pulumiCliProblem(env);
    if (cli) {
        process.stderr.write(`npm start: ${cli}\n`);
        return 2;
    }
    const [OLD, NEW] = [env.ISTIO_MESH_ISTIO_OLD!, env.ISTIO_MESH_ISTIO_NEW!];
    say("Starting a local Kubernetes cluster (KWOK on 127.0.0.1, a real istiod per installed revision injects its pods, a real Prometheus " +
        "scrapes them and a data-plane fixture) with four application namespaces");
    const cluster = LocalCluster.start(env);
    let project: LocalProject | undefined;
    try {
        const namespaces = ["checkout", "catalog", "payments", "search"];
        cluster.apply(namespaces.flatMap(ns => appNamespace(ns, [`${ns}-api`], true)));
        cluster.traffic([...namespaces.map(namespace => ({ namespace, rps: 20, errorRatio: 0, latencyMs: 25 })),
            { namespace: "istio-ingress", gateway: "istio-ingressgateway", rps: 80, errorRatio: 0, latencyMs: 10 },
            // The Gateway API gateway's Deployment (istiod names it), which the gate watches after its move.
            { namespace: "catalog", gateway: STOREFRONT, rps: 40, errorRatio: 0, latencyMs: 10 }]);
        project = LocalProject.create("local", env);
        const base = (step: Partial<RawConfig>): RawConfig => ({
            kubernetesVersion: "1.34",
            registry: { hub: "registry.example.com/istio" },
            charts: { localDir: `${env.ISTIO_MESH_CHARTS}/{version}` },
            kubernetes: { kubeconfig: cluster.kubeconfig },
            cni: { enabled: true, version: OLD },
            gateways: [{ name: "istio-ingressgateway", namespace: "istio-ingress", revision: "default", replicas: 2, podDisruptionBudget: { minAvailable: 1 }, awaitLoadBalancer: false }],
            // Watched 10 s after each change (a real mesh: minutes), rates over 10 s: the local Prometheus scrapes every second.
            healthGate: { prometheus: { url: cluster.prometheusUrl }, bake: "10s", window: "10s" },
            ...step,
            // A Gateway API gateway of class istio: its revision's istiod deploys it; the program pins it with istio.io/rev.
            gatewayApi: {
                // The release each step's newest Istio is built against: raised with the Istio CRDs when 1-31 comes.
                version: gatewayApiSupportFor((step.revisions as unknown[]).length > 1 ? NEW : OLD)!.builtAgainst!,
                gateways: [{ name: "storefront", namespace: "catalog", revision: (step.revisions as unknown[]).length > 1 ? "1-31" : "1-30", serviceType: "ClusterIP", listeners: [{ port: 80 }] }],
            },
        });
        say(`pulumi up: Istio ${OLD} as revision 1-30, tag default, every namespace on it; the health gate watches the new control plane before anything moves to it`);
        project.setConfig(base({
            revisions: [{ version: OLD }], tags: { default: "1-30" },
            namespaces: { checkout: "default", catalog: "default", payments: "default", search: "default" },
        }));
        process.stdout.write(project.up().stdout.split("\n").filter(l => /Resources:|created|Duration|health gate|^\s+ok /.test(l)).join("\n") + "\n");
        cluster.waitForIstiods(["1-30"]);
        say("Proxies, as istioctl proxy-status lists them: workload, pod, the revision that injected it, proxy version");
        process.stdout.write(proxyStatusLines(cluster.workloadPods(["checkout", "catalog", "payments", "search", "istio-ingress"])).join("\n") + "\n");

        const storefront = cluster.json("get", "deployment", STOREFRONT, "-n", "catalog");
        say(`Gateway API gateway catalog/storefront: its Deployment ${STOREFRONT} was deployed by istiod-${storefront.spec.template.metadata.annotations["istio.io/rev"]} ` +
            `(proxy ${storefront.spec.template.spec.containers[0].image})`);

        say(`The next step, as a config change: add ${NEW} as revision 1-31 (and the Gateway API CRDs it is built against), move checkout and catalog ` +
            "to it, and the storefront gateway on its own");
        project.setConfig(base({
            revisions: [{ version: OLD }, { version: NEW }], tags: { default: "1-30", canary: "1-31" },
            namespaces: { checkout: "1-31", catalog: "canary", payments: "default", search: "default" },
        }));
        say("pulumi preview --policy-pack ./policies");
        spawnSync("pulumi", ["preview", "--non-interactive", "--policy-pack", "./policies"], { cwd: project.dir, env: project.env, stdio: "inherit" });
        say("npm run plan -- --stack local --policy-pack ./policies (the same step, for a reviewer)");
        spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "plan/cli.ts", "--stack", "local", "--policy-pack", "./policies"],
            { cwd: project.dir, env: { ...project.env, KUBECONFIG: cluster.kubeconfig }, stdio: "inherit" });
        if (process.env.KEEP === "1") {
            say(`Kept. Cluster: export KUBECONFIG=${cluster.kubeconfig}; project: cd ${project.dir} ` +
                `(PULUMI_BACKEND_URL=${project.env.PULUMI_BACKEND_URL} PULUMI_CONFIG_PASSPHRASE=${project.env.PULUMI_CONFIG_PASSPHRASE}); ` +
                `stop with ISTIO_MESH_CLUSTER_DIR=${cluster.dir} bash tools/offline/cluster.sh stop`);
            return 0;
        }
        say("Done: the cluster and the project copy are removed (KEEP=1 keeps them).");
        return 0;
    } finally {
        if (process.env.KEEP !== "1") {
            project?.dispose();
            cluster.stop();
        }
    }
}

process.exit(main());
