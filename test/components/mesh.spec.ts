/**
 * The whole program under Pulumi's mocks, step by step through the canary runbook: what it registers, with
 * which chart values, and which namespaces restart.
 */
import * as assert from "assert";
import { RawConfig } from "../../model/config";
import { MeshState } from "../../model/facts";
import { dataField, keepsLastRequest } from "../../components/mesh";
import { formerBindingPatchUrn } from "../../components/namespaceBinding";
import { Observation } from "../../model/rollout";
import { workload } from "../support/cluster";
import { find, istioctlRender, ofType, ProgramRun, Registered, RENDERED_CRDS, renderedBase, runProgram, TYPES } from "../support/mocks";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clusterAccessFile, CRDS_APPLY_SCRIPT, crdFile, LEGACY_INJECTION_APPLY_SCRIPT, LEGACY_INJECTION_RESTORE_SCRIPT } from "../../components/kubectl";
import { crdBundle, excludingCrds } from "../../istio";
import { stackConfig } from "../support/stacks";

const base: RawConfig = {
    registry: { hub: "registry.example.com/istio", tag: "{version}-distroless", imagePullSecrets: ["istio-pull"] },
    cni: { enabled: true, chained: false },
    gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "default", serviceType: "NodePort", replicas: 2, podDisruptionBudget: { minAvailable: 1 } }],
};
const steps: Record<string, RawConfig> = {
    start: { ...base, revisions: [{ version: "1.29.3" }], tags: { default: "1-29" }, namespaces: { shop: "default", cart: "default" } },
    installAlongside: { ...base, revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" }, namespaces: { shop: "default", cart: "default" } },
    moveShop: { ...base, revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" }, namespaces: { shop: "1-30", cart: "default" } },
    moveGateway: {
        ...base, revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-29" }, namespaces: { shop: "1-30", cart: "default" },
        gateways: [{ ...(base.gateways as any[])[0], revision: "1-30" }],
    },
    moveDefaultTag: {
        ...base, revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], tags: { default: "1-30" }, namespaces: { shop: "1-30", cart: "default" },
        gateways: [{ ...(base.gateways as any[])[0], revision: "1-30" }],
    },
    retire: {
        ...base, revisions: [{ version: "1.30.2" }], tags: { default: "1-30" }, namespaces: { shop: "1-30", cart: "default" },
        gateways: [{ ...(base.gateways as any[])[0], revision: "1-30" }], cni: { enabled: true, chained: false, version: "1.30.2" },
    },
};

const charts = (run: ProgramRun) => Object.fromEntries(ofType(run, TYPES.chart).map(c => [c.name, c.inputs]));
/** The restart request of the restart step (its stdin): one line per namespace with workloads to restart. */
const request = (run: ProgramRun) => find(run, TYPES.command, "workload-restarts").inputs.stdin;

/**
 * The cluster as the previous step's `up` left it: one Deployment per bound namespace, its pod injected by the
 * revision the namespace was on (no sidecar before the first step).
 */
function clusterAfter(previous: MeshState | undefined, namespaces: string[]): Observation {
    return {
        namespaceLabels: Object.fromEntries(namespaces.map(ns => [ns, previous?.namespaces[ns]?.target])),
        objects: namespaces.flatMap(ns => {
            const b = previous?.namespaces[ns];
            return workload(ns, "app", { pods: [b ? { revision: b.revision, version: b.version } : {}] });
        }),
    };
}

/** Runs the steps in order, each with the state the previous one recorded and the cluster it left. */
async function runSteps(...names: string[]): Promise<{ run: ProgramRun; before?: ProgramRun }> {
    let previous: MeshState | undefined;
    let before: ProgramRun | undefined;
    let run: ProgramRun | undefined;
    for (const name of names) {
        before = run;
        run = await runProgram(steps[name], previous, {}, undefined, {}, clusterAfter(previous, ["shop", "cart"]));
        previous = run.outputs.meshState;
    }
    return { run: run!, before };
}

describe("IstioMesh under mocks: the canary runbook", function () {
    it("start: CRDs, one istiod, tags, CNI, a gateway and two namespace bindings", async () => {
        const { run } = await runSteps("start");
        const c = charts(run);
        assert.deepStrictEqual(Object.keys(c).sort(), ["base", "gateway-istio-ingress/ingress", "istio-cni", "istiod-1-29"]);
        assert.strictEqual(c.base.chart, "oci://ghcr.io/istio/release/charts/base");
        assert.strictEqual(c.base.version, "1.29.3");
        assert.strictEqual(c.base.values.defaultRevision, "1-29");
        const istiod = c["istiod-1-29"];
        assert.strictEqual(istiod.chart, "oci://ghcr.io/istio/release/charts/istiod");
        assert.strictEqual(istiod.namespace, "istio-system");
        assert.strictEqual(istiod.values.revision, "1-29");
        assert.deepStrictEqual(istiod.values.global, { istioNamespace: "istio-system", hub: "registry.example.com/istio", tag: "1.29.3-distroless", imagePullSecrets: ["istio-pull"] });
        assert.deepStrictEqual(istiod.values.pilot, { cni: { enabled: true } });
        const cni = c["istio-cni"];
        assert.strictEqual(cni.version, "1.29.3");
        assert.strictEqual(cni.values.chained, false);
        const gw = c["gateway-istio-ingress/ingress"];
        assert.strictEqual(gw.namespace, "istio-ingress");
        assert.strictEqual(gw.version, "1.29.3");
        assert.strictEqual(gw.values.revision, "default");
        assert.deepStrictEqual(gw.values.service, { type: "NodePort" });
        assert.deepStrictEqual(gw.values.podDisruptionBudget, { minAvailable: 1 });
        assert.deepStrictEqual(gw.values.imagePullSecrets, [{ name: "istio-pull" }]);
        const tag = find(run, TYPES.webhook, "tag-default");
        assert.strictEqual(tag.inputs.webhooks[0].clientConfig.service.name, "istiod-1-29");
        const patch = find(run, TYPES.namespacePatch, "namespace-shop");
        assert.deepStrictEqual(patch.inputs.metadata.labels, { "istio.io/rev": "default" });
        // A first up over pods without sidecars: both namespaces restart, by name (as the engine hands the keys over), one wave each.
        assert.strictEqual(request(run), "cart default 1-29@1.29.3 Deployment/app@1\nshop default 1-29@1.29.3 Deployment/app@1");
        const env = find(run, TYPES.command, "workload-restarts").inputs.environment;
        assert.deepStrictEqual([env.TIMEOUT, env.ROLLOUT_PARALLEL, env.ROLLOUT_PAUSE], ["5m", "1", "0s"]);
        assert.deepStrictEqual(run.outputs.upgradePlan.rollout.waves, [["cart"], ["shop"]]);
        assert.deepStrictEqual(run.outputs.upgradePlan.revisionsAdded, [{ name: "1-29", version: "1.29.3" }]);
    });

    it("never creates or deletes application namespaces: only patches them", async () => {
        const { run } = await runSteps("start");
        const created = ofType(run, TYPES.namespace).map(n => n.inputs.metadata.name).sort();
        assert.deepStrictEqual(created, ["istio-ingress", "istio-system"]);
        assert.deepStrictEqual(ofType(run, TYPES.namespacePatch).map(p => p.inputs.metadata.name).sort(), ["cart", "shop"]);
        assert.strictEqual(find(run, TYPES.command, "namespace-preflight").inputs.stdin, "cart\nshop\n");
    });

    it("a stack created when each binding was a NamespaceBinding component keeps its patches: the alias is their former URN", async () => {
        // Under the mocks the stack is "test" of project "istio-mesh"; the URN is the one such stacks recorded.
        await runSteps("start");
        assert.strictEqual(formerBindingPatchUrn("namespace-shop"),
            "urn:pulumi:test::istio-mesh::istio-mesh:index:IstioMesh$istio-mesh:index:NamespaceBinding$kubernetes:core/v1:NamespacePatch::namespace-shop");
    });

    it("install alongside: a second istiod; bindings and restarts unchanged", async () => {
        const { run, before } = await runSteps("start", "installAlongside");
        const c = charts(run);
        assert.strictEqual(c["istiod-1-30"].values.revision, "1-30");
        assert.strictEqual(c["istiod-1-30"].version, "1.30.2");
        assert.strictEqual(c.base.version, "1.30.2", "CRDs follow the newest revision");
        assert.strictEqual(c.base.values.defaultRevision, "1-29");
        assert.ok(before);
        assert.strictEqual(request(run), "", "every pod already runs its target");
        assert.deepStrictEqual(run.outputs.upgradePlan.summary, ["CRDs: 1.29.3 -> 1.30.2, applied before any control plane", "add control plane 1-30 (1.30.2)"]);
        assert.deepStrictEqual(run.outputs.revisions["1-30"], { version: "1.30.2", istiod: "istiod-1-30", tags: [], namespaces: [], gateways: [] });
    });

    it("move one namespace: its label and its restart change, the other's do not", async () => {
        const { run, before } = await runSteps("start", "installAlongside", "moveShop");
        assert.deepStrictEqual(find(run, TYPES.namespacePatch, "namespace-shop").inputs.metadata.labels, { "istio.io/rev": "1-30" });
        assert.ok(before);
        assert.strictEqual(request(run), "shop 1-30 1-30@1.30.2 Deployment/app@1", "shop only: cart's pods run its target");
        assert.deepStrictEqual(run.outputs.upgradePlan.namespacesMoving.map((m: any) => m.name), ["shop"]);
        assert.deepStrictEqual(run.outputs.upgradePlan.summary, [
            "namespace shop: default -> 1-29 (1.29.3) -> 1-30 (1.30.2)",
            "wave 1/1: restart namespace shop onto 1-30 (1.30.2): Deployment/app",
            "warning: namespace shop: single replica without a PodDisruptionBudget, unavailable while it restarts: Deployment/app",
        ]);
        assert.deepStrictEqual(run.outputs.revisions["1-30"].namespaces, ["shop"]);
    });

    it("move the gateway: its chart follows the new revision's version", async () => {
        const { run } = await runSteps("start", "installAlongside", "moveShop", "moveGateway");
        const gw = charts(run)["gateway-istio-ingress/ingress"];
        assert.strictEqual(gw.values.revision, "1-30");
        assert.strictEqual(gw.version, "1.30.2");
        assert.strictEqual(gw.values.podAnnotations["istio-mesh.dev/proxy-version"], "1.30.2");
        assert.deepStrictEqual(run.outputs.upgradePlan.namespacesMoving, []);
    });

    it("move the default tag: one webhook updated in place; the namespaces following it restart", async () => {
        const { run, before } = await runSteps("start", "installAlongside", "moveShop", "moveGateway", "moveDefaultTag");
        const tags = ofType(run, TYPES.webhook);
        assert.deepStrictEqual(tags.map(t => t.name), ["tag-default"]);
        assert.ok(tags[0].inputs.webhooks.every((w: any) => w.clientConfig.service.name === "istiod-1-30"));
        assert.strictEqual(find(run, TYPES.service, "tag-default").inputs.spec.selector["istio.io/rev"], "1-30");
        assert.strictEqual(charts(run).base.values.defaultRevision, "1-30");
        assert.ok(before);
        assert.strictEqual(request(run), "cart default 1-30@1.30.2 Deployment/app@1", "cart follows the tag; shop already runs 1-30");
        assert.deepStrictEqual(run.outputs.upgradePlan.tagsMoved, [{ tag: "default", from: "1-29", to: "1-30" }]);
    });

    it("retire the old revision: its istiod and guard leave the program; the plan says so", async () => {
        const { run, before } = await runSteps("start", "installAlongside", "moveShop", "moveGateway", "moveDefaultTag", "retire");
        assert.ok(find(before!, TYPES.command, "istiod-1-29-retirement-guard").inputs.delete.includes("sidecar\\.istio\\.io/status"));
        assert.deepStrictEqual(Object.keys(charts(run)).filter(n => n.startsWith("istiod-")), ["istiod-1-30"]);
        assert.ok(!run.resources.some(r => r.name.includes("1-29")));
        assert.deepStrictEqual(run.outputs.upgradePlan.revisionsRetired, [{ name: "1-29", version: "1.29.3" }]);
        assert.deepStrictEqual(run.outputs.upgradePlan.namespacesMoving, []);
    });

    it("roll back one namespace: it moves back to the old revision and restarts", async () => {
        const { run } = await runSteps("start", "installAlongside", "moveShop", "installAlongside");
        assert.deepStrictEqual(find(run, TYPES.namespacePatch, "namespace-shop").inputs.metadata.labels, { "istio.io/rev": "default" });
        assert.strictEqual(request(run), "shop default 1-29@1.29.3 Deployment/app@1");
        assert.deepStrictEqual(run.outputs.upgradePlan.namespacesMoving.map((m: any) => m.name), ["shop"]);
    });

    it("refuses to retire a revision a namespace still uses, registering nothing of the cluster", async () => {
        let previous: MeshState | undefined;
        for (const name of ["start", "installAlongside"]) {
            previous = (await runProgram(steps[name], previous)).outputs.meshState;
        }
        const resources: unknown[] = [];
        await assert.rejects(async () => {
            const run = await runProgram({ ...steps.installAlongside, revisions: [{ version: "1.30.2" }], tags: { default: "1-30" }, namespaces: { shop: "1-29" } }, previous);
            resources.push(...run.resources);
        }, /namespaces\.shop = "1-29": namespace shop still uses revision "1-29", which this config retires/);
        assert.deepStrictEqual(resources, []);
    });
});

describe("IstioMesh under mocks: a retirement judged from the cluster's pods", () => {
    /** The state before the retire step, and the cluster it left but for `pods` (every namespace unlabelled). */
    async function beforeRetire(): Promise<MeshState> {
        let previous: MeshState | undefined;
        for (const name of ["start", "installAlongside", "moveShop", "moveGateway", "moveDefaultTag"]) {
            previous = (await runProgram(steps[name], previous)).outputs.meshState;
        }
        return previous!;
    }
    const withPods = (pods: Observation["objects"]): Observation => ({
        namespaceLabels: {}, objects: [], cluster: { namespaces: [{ kind: "Namespace", metadata: { name: "batch", labels: {} } }], pods },
    });

    it("refuses, before registering anything of the cluster, while a pod the config does not manage was injected by the revision", async () => {
        const previous = await beforeRetire();
        const error = await runProgram(steps.retire, previous, {}, undefined, {},
            withPods(workload("batch", "report", { pods: [{ revision: "1-29", version: "1.29.3" }] }))).then(() => undefined, e => e);
        assert.ok(error, "the retirement was accepted");
        assert.match(error.message, /^istio-mesh refuses this step \(1 problem\):\n  - istio-mesh:revisions = \["1-29"\]: revision 1-29 \(1\.29\.3\) leaves the config, but 1 running or pending pod uses it: batch\/report-0 \(injected by 1-29\)/);
        assert.deepStrictEqual(error.registered.map((r: Registered) => r.type), ["pulumi:providers:kubernetes"], "only the provider, which changes nothing");
    });

    it("accepts the same step once the pod runs another revision, and reads the cluster wide only when a revision leaves", async () => {
        const previous = await beforeRetire();
        const run = await runProgram(steps.retire, previous, {}, undefined, {},
            withPods(workload("batch", "report", { pods: [{ revision: "1-30", version: "1.30.2" }] })));
        assert.deepStrictEqual(run.outputs.upgradePlan.revisionsRetired, [{ name: "1-29", version: "1.29.3" }]);
    });
});

describe("IstioMesh under mocks: settings", () => {
    it("render mode: no kubectl step at all, same objects", async () => {
        const run = await runProgram({ ...steps.moveShop, renderDirectory: "/tmp/rendered" });
        assert.deepStrictEqual(ofType(run, TYPES.command), []);
        assert.strictEqual(run.outputs.upgradePlan.rollout.observed, false, "nothing observed, nothing restarts");
        assert.strictEqual(ofType(run, TYPES.namespacePatch).length, 2);
        assert.strictEqual(find(run, "pulumi:providers:kubernetes", "cluster").inputs.renderYamlToDirectory, "/tmp/rendered");
        assert.strictEqual(run.outputs.renderDirectory, "/tmp/rendered");
    });

    it("points kubectl at the provider's kubeconfig and context", async () => {
        const run = await runProgram({ ...steps.start, kubernetes: { kubeconfig: "/k/config", context: "staging" } });
        const provider = find(run, "pulumi:providers:kubernetes", "cluster");
        assert.strictEqual(provider.inputs.kubeconfig, "/k/config");
        assert.strictEqual(provider.inputs.context, "staging");
        const env = find(run, TYPES.command, "workload-restarts").inputs.environment;
        assert.strictEqual(env.KUBECONFIG, "/k/config");
        assert.strictEqual(env.KUBE_CONTEXT, "staging");
    });

    it("gives every kubectl step the request timeout (kubernetes.requestTimeout, 30s by default) as an input the preview shows", async () => {
        // The steps that run kubectl: all but the destroy lock (an echo).
        const timeouts = (run: ProgramRun) => Object.fromEntries(ofType(run, TYPES.command).filter(c => c.inputs.environment)
            .map(c => [c.name, c.inputs.environment.KUBE_REQUEST_TIMEOUT]));
        const byDefault = timeouts(await runProgram(steps.start));
        assert.deepStrictEqual(Object.keys(byDefault).sort(), ["crds", "istiod-1-29-retirement-guard", "namespace-preflight", "workload-restarts"]);
        assert.ok(Object.values(byDefault).every(t => t === "30s"), JSON.stringify(byDefault));
        const set = timeouts(await runProgram({ ...steps.start, kubernetes: { requestTimeout: "1m30s" } }));
        assert.ok(Object.values(set).every(t => t === "1m30s"), JSON.stringify(set));
    });

    it("takes over existing objects only when kubernetes.adoptExisting says so, whatever PULUMI_K8S_* the runner exports", async () => {
        const takeOver = (p: Registered) => [p.inputs.upsertExistingObjects, p.inputs.enablePatchForce];
        process.env.PULUMI_K8S_UPSERT_EXISTING_OBJECTS = "true";
        process.env.PULUMI_K8S_ENABLE_PATCH_FORCE = "true";
        try {
            const ambient = await runProgram(steps.start);
            assert.deepStrictEqual(takeOver(find(ambient, "pulumi:providers:kubernetes", "cluster")), ["false", "false"]);
        } finally {
            delete process.env.PULUMI_K8S_UPSERT_EXISTING_OBJECTS;
            delete process.env.PULUMI_K8S_ENABLE_PATCH_FORCE;
        }
        const adopting = await runProgram({ ...steps.start, kubernetes: { adoptExisting: true } });
        assert.deepStrictEqual(takeOver(find(adopting, "pulumi:providers:kubernetes", "cluster")), ["true", "true"]);
    });

    it("local chart directories per version", async () => {
        // The config check looks for each version's directory.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-charts-"));
        try {
            ["1.29.3", "1.30.2"].forEach(v => fs.mkdirSync(path.join(dir, v)));
            const run = await runProgram({ ...steps.installAlongside, charts: { localDir: `${dir}/{version}` } });
            const c = charts(run);
            assert.strictEqual(c["istiod-1-29"].chart, `${dir}/1.29.3/istiod`);
            assert.strictEqual(c["istiod-1-30"].chart, `${dir}/1.30.2/istiod`);
            assert.strictEqual(c["istiod-1-30"].version, "1.30.2");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("an HTTP chart repository", async () => {
        const run = await runProgram({ ...steps.start, charts: { repository: "https://charts.example.com/istio" } });
        const istiod = charts(run)["istiod-1-29"];
        assert.strictEqual(istiod.chart, "istiod");
        assert.deepStrictEqual(istiod.repositoryOpts, { repo: "https://charts.example.com/istio" });
    });

    it("registry credentials become a secret pull secret in each namespace that pulls", async () => {
        const run = await runProgram(steps.start, undefined, { registryCredentials: "{\"auths\":{\"r\":{\"auth\":\"dTpw\"}}}" });
        const secrets = ofType(run, TYPES.secret);
        assert.deepStrictEqual(secrets.map(s => s.inputs.metadata.namespace).sort(), ["istio-ingress", "istio-system"]);
        assert.strictEqual(secrets[0].inputs.type, "kubernetes.io/dockerconfigjson");
        assert.deepStrictEqual(charts(run)["istiod-1-29"].values.global.imagePullSecrets, ["istio-pull", "istio-registry-credentials"]);
        assert.ok(!JSON.stringify(run.outputs).includes("auths"), "credentials never reach the outputs");
    });

    it("in-place upgrade: records where it came from on istiod, restarts namespaces on it", async () => {
        const v1 = await runProgram({ revisions: [{ name: "stable", version: "1.29.3" }], namespaces: { shop: "stable" }, kubernetesVersion: "1.33" });
        const run = await runProgram({ revisions: [{ name: "stable", version: "1.30.2" }], namespaces: { shop: "stable" }, kubernetesVersion: "1.33" },
            v1.outputs.meshState, {}, undefined, {}, clusterAfter(v1.outputs.meshState, ["shop"]));
        const values = charts(run)["istiod-stable"].values;
        assert.deepStrictEqual(values.deploymentAnnotations, { "istio-mesh.dev/upgraded-from": "1.29.3", "istio-mesh.dev/kubernetes-version": "1.33" });
        assert.strictEqual(request(run), "shop stable stable@1.30.2 Deployment/app@1", "same revision, older proxy: restart");
        assert.deepStrictEqual(run.outputs.upgradePlan.revisionsUpgradedInPlace, [{ name: "stable", from: "1.29.3", to: "1.30.2" }]);
    });

    it("refuses an in-place jump of two minors before registering anything of the cluster", async () => {
        const v1 = await runProgram({ revisions: [{ name: "stable", version: "1.28.4" }] });
        await assert.rejects(runProgram({ revisions: [{ name: "stable", version: "1.30.2" }] }, v1.outputs.meshState),
            /revisions\[0\]\.version = "1\.30\.2": revision "stable" runs 1\.28\.4 now/);
    });

    it("istioctl renderer: each revision, the CRDs and CNI rendered by their own istioctl into a ConfigGroup", async () => {
        const run = await runProgram({ ...steps.installAlongside, charts: { renderer: "istioctl", istioctl: "/opt/istio-{version}/bin/istioctl" } },
            undefined, {}, (token, inputs) => token === "command:local:run" ? { stdout: istioctlRender(inputs), stderr: "" } : {});
        const commands = run.calls.filter(c => c.token === "command:local:run").map(c => c.inputs.command as string);
        assert.deepStrictEqual(commands.sort(), [
            "'/opt/istio-1.29.3/bin/istioctl' manifest generate -f -", // cni follows the oldest revision
            "'/opt/istio-1.29.3/bin/istioctl' manifest generate -f -",
            "'/opt/istio-1.30.2/bin/istioctl' manifest generate -f -", // base follows the newest
            "'/opt/istio-1.30.2/bin/istioctl' manifest generate -f -",
        ]);
        const groups = ofType(run, TYPES.configGroup).map(g => g.name).sort();
        assert.deepStrictEqual(groups, ["base-manifest", "istio-cni-manifest", "istiod-1-29-manifest", "istiod-1-30-manifest"]);
        assert.deepStrictEqual(ofType(run, TYPES.chart).map(c => c.name), ["gateway-istio-ingress/ingress"]);
    });

    it("both renderers take the same values tree: istioctl's overlay holds exactly the Helm chart's values", async () => {
        const config: RawConfig = {
            ...steps.installAlongside, kubernetesVersion: "1.33",
            revisions: [{ version: "1.29.3" }, { version: "1.30.2", values: { env: { PILOT_ENABLE_STATUS: "true" } } }],
        };
        const helm = charts(await runProgram(config));
        const istioctl = await runProgram({ ...config, charts: { renderer: "istioctl", istioctl: "/opt/istio-{version}/bin/istioctl" } },
            undefined, {}, (token, inputs) => token === "command:local:run" ? { stdout: istioctlRender(inputs), stderr: "" } : {});
        const overlays = istioctl.calls.filter(c => c.token === "command:local:run").map(c => JSON.parse(c.inputs.stdin));
        const chartOf = (o: any) => {
            const [component] = Object.keys(o.spec.components);
            return component === "pilot" ? `istiod-${o.spec.unvalidatedValues.revision}` : component === "cni" ? "istio-cni" : component;
        };
        assert.deepStrictEqual(overlays.map(chartOf).sort(), ["base", "istio-cni", "istiod-1-29", "istiod-1-30"]);
        for (const overlay of overlays) {
            const chart = helm[chartOf(overlay)];
            // Less the CRDs, applied apart: left out of the base chart by its values, of istioctl's manifest by kind.
            const values = chartOf(overlay) === "base" ? excludingCrds(overlay.spec.unvalidatedValues, RENDERED_CRDS) : overlay.spec.unvalidatedValues;
            assert.deepStrictEqual(values, chart.values, chartOf(overlay));
            const component = Object.values(overlay.spec.components as Record<string, any>)[0];
            assert.strictEqual(component.namespace ?? overlay.spec.values.global.istioNamespace, chart.namespace);
        }
        assert.deepStrictEqual(helm["istiod-1-30"].values.env, { PILOT_ENABLE_STATUS: "true" });
        assert.strictEqual(helm["istiod-1-30"].values.deploymentAnnotations["istio-mesh.dev/kubernetes-version"], "1.33");
    });

    for (const stack of ["staging", "prod"] as const) {
        it(`the ${stack} stack registers every namespace binding and gateway it declares`, async () => {
            const config = stackConfig(stack);
            const run = await runProgram(config);
            assert.strictEqual(ofType(run, TYPES.namespacePatch).length, Object.keys(config.namespaces as object).length);
            assert.strictEqual(ofType(run, TYPES.chart).filter(c => c.name.startsWith("gateway-")).length, (config.gateways as unknown[]).length);
        });
    }
});

describe("IstioMesh under mocks: the rollout of workloads", () => {
    const config: RawConfig = { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], namespaces: { shop: "1-30", cart: "1-30", search: "1-29" } };
    const onRevision = (ns: string, revision: string, version: string) => workload(ns, "app", { pods: [{ revision, version }] });

    it("adoption: a first up over a mesh whose pods already run their targets restarts nothing", async () => {
        const cluster: Observation = { namespaceLabels: { shop: "1-30", cart: "1-30", search: "1-29" },
            objects: [...onRevision("shop", "1-30", "1.30.2"), ...onRevision("cart", "1-30", "1.30.2"), ...onRevision("search", "1-29", "1.29.3")] };
        const run = await runProgram(config, undefined, {}, undefined, {}, cluster);
        assert.strictEqual(request(run), "");
        assert.deepStrictEqual(run.outputs.upgradePlan.rollout.waves, []);
        assert.ok(!run.outputs.upgradePlan.summary.some((l: string) => /restart/.test(l)), run.outputs.upgradePlan.summary.join("\n"));
    });

    it("waves of parallelNamespaces, the pause and the timeout reach the restart step", async () => {
        const cluster: Observation = { namespaceLabels: {}, objects: ["shop", "cart", "search"].flatMap(ns => onRevision(ns, "old", "1.28.0")) };
        const run = await runProgram({ ...config, rollout: { parallelNamespaces: 2, pauseBetween: "30s" }, restartTimeout: "2m" }, undefined, {}, undefined, {}, cluster);
        assert.deepStrictEqual(run.outputs.upgradePlan.rollout.waves, [["cart", "search"], ["shop"]]);
        const env = find(run, TYPES.command, "workload-restarts").inputs.environment;
        assert.deepStrictEqual([env.ROLLOUT_PARALLEL, env.ROLLOUT_PAUSE, env.TIMEOUT], ["2", "30s", "2m"]);
        assert.match(request(run), /^cart .*\nsearch 1-29 1-29@1\.29\.3 Deployment\/app@1\nshop 1-30 1-30@1\.30\.2 Deployment\/app@1$/);
    });

    it("restarts: manual labels but registers no restart step; the plan lists what is left, with the commands", async () => {
        const cluster: Observation = { namespaceLabels: {}, objects: onRevision("shop", "1-29", "1.29.3") };
        const run = await runProgram({ ...config, rollout: { restarts: "manual" } }, undefined, {}, undefined, {}, cluster);
        assert.ok(!ofType(run, TYPES.command).some(c => c.name === "workload-restarts"));
        assert.strictEqual(ofType(run, TYPES.namespacePatch).length, 3);
        assert.strictEqual(run.outputs.upgradePlan.rollout.restarts, "manual");
        assert.ok(run.outputs.upgradePlan.summary.includes(
            "left to restart by hand (rollout.restarts: manual), namespace shop onto 1-30 (1.30.2): kubectl -n shop rollout restart deployment/app"));
    });

    it("a CNI change: the restarts wait for the DaemonSet and the plan says so", async () => {
        const cluster: Observation = { namespaceLabels: {}, objects: onRevision("shop", "1-29", "1.29.3") };
        const run = await runProgram({ ...config, cni: { enabled: true } }, undefined, {}, undefined, {}, cluster);
        assert.deepStrictEqual(run.outputs.upgradePlan.rollout.afterCni, { to: "1.29.3" });
        assert.ok(run.outputs.upgradePlan.summary.includes("workload restarts wait for the istio-cni DaemonSet rollout ((none) -> 1.29.3)"));
    });

    it("Jobs, bare pods and paused Deployments appear in the plan, not in the restart request", async () => {
        const bare = { kind: "Pod", metadata: { name: "debug", namespace: "shop" }, spec: { containers: [] }, status: { phase: "Running" } };
        const cluster: Observation = { namespaceLabels: {}, objects: [...workload("shop", "batch", { paused: true, pods: [{ revision: "1-29", version: "1.29.3" }] }), bare] };
        const run = await runProgram(config, undefined, {}, undefined, {}, cluster);
        assert.strictEqual(request(run), "");
        const summary = run.outputs.upgradePlan.summary.join("\n");
        assert.match(summary, /namespace shop: skipped Deployment\/batch: .*paused/);
        assert.match(summary, /namespace shop: not restarted by the program: Pod\/debug \(1 pod\(s\) not on 1-30 \(1\.30\.2\)\): kubectl -n shop delete pod debug/);
    });

    it("bad rollout settings fail before anything is registered, naming the key", async () => {
        await assert.rejects(runProgram({ ...config, rollout: { parallelNamespaces: 0, pauseBetween: "soon" } }),
            (e: Error) => /istio-mesh:rollout\.parallelNamespaces = 0: must be at least 1/.test(e.message)
                && /istio-mesh:rollout\.pauseBetween = "soon": is not a duration/.test(e.message));
        await assert.rejects(runProgram({ ...config, rollout: { restarts: "sometimes" } }),
            /istio-mesh:rollout\.restarts = "sometimes": is not one of auto, manual/);
    });
});

describe("IstioMesh under mocks: the CRDs, applied by one step", () => {
    const crdsStep = (run: ProgramRun) => find(run, TYPES.command, "crds");

    it("a live stack applies them by one step whose inputs are their version and digest; the base chart leaves them out", async () => {
        const run = await runProgram(steps.start);
        const template = run.calls.filter(c => c.token === "kubernetes:helm:template").map(c => JSON.parse(c.inputs.jsonOpts));
        assert.deepStrictEqual(template.map(t => [t.release_name, t.namespace, t.version]), [["base", "istio-system", "1.29.3"]]);
        const bundle = crdBundle(renderedBase(template[0]), "base");
        const step = crdsStep(run);
        assert.strictEqual(step.inputs.create, CRDS_APPLY_SCRIPT);
        assert.strictEqual(step.inputs.delete, undefined, "a CRD is never deleted: that deletes every object of its kind");
        assert.deepStrictEqual([step.inputs.environment.CRDS_VERSION, step.inputs.environment.CRDS_DIGEST, step.inputs.environment.CRDS_COUNT],
            ["1.29.3", bundle.digest, "2 CRDs"]);
        assert.doesNotMatch(JSON.stringify(step.inputs), /CustomResourceDefinition/, "no schema in the step's inputs, so none in the state");
        assert.strictEqual(fs.readFileSync(path.join(__dirname, "../..", crdFile("1.29.3", bundle.digest)), "utf8"), bundle.yaml);
        const base = find(run, TYPES.chart, "base");
        assert.deepStrictEqual(base.inputs.values.base, { excludedCRDs: RENDERED_CRDS });
        assert.deepStrictEqual(excludingCrds(template[0].values, RENDERED_CRDS), base.inputs.values, "the render apart has the chart's values");
        // The control planes wait for the CRDs: each istiod's chart depends on the step.
        assert.ok(find(run, TYPES.chart, "istiod-1-29").dependencies.some(u => u.endsWith("command:local:Command::crds")));
        assert.ok(base.dependencies.some(u => u.endsWith("command:local:Command::crds")));
    });

    it("a run with the base chart, values and provider of an earlier run reuses its render: no helm template, the same step and chart", async () => {
        const first = await runProgram(steps.start);
        const again = await runProgram(steps.start, first.outputs.meshState);
        const templates = (run: ProgramRun) => run.calls.filter(c => c.token === "kubernetes:helm:template").length;
        assert.deepStrictEqual([templates(first), templates(again)], [1, 0]);
        assert.deepStrictEqual(crdsStep(again).inputs, crdsStep(first).inputs);
        assert.deepStrictEqual(find(again, TYPES.chart, "base").inputs, find(first, TYPES.chart, "base").inputs);
        assert.ok(find(again, TYPES.chart, "base").dependencies.some(u => u.endsWith("command:local:Command::crds")));
    });

    it("a change of the base chart's values, version or source, or a bundle file removed or edited, renders again", async () => {
        const templates = async (config: RawConfig) =>
            (await runProgram(config)).calls.filter(c => c.token === "kubernetes:helm:template").map(c => JSON.parse(c.inputs.jsonOpts));
        assert.strictEqual((await templates(steps.start)).length, 1);
        assert.deepStrictEqual((await templates({ ...steps.start, istioNamespace: "istio-control" })).map(t => [t.namespace, t.values.global.istioNamespace]),
            [["istio-control", "istio-control"]]);
        assert.deepStrictEqual((await templates(steps.installAlongside)).map(t => t.version), ["1.30.2"]);
        assert.deepStrictEqual((await templates({ ...steps.start, charts: { repository: "https://charts.example.com/istio" } })).map(t => t.fetch_opts),
            [{ repo: "https://charts.example.com/istio" }]);
        assert.strictEqual((await templates(steps.start)).length, 0, "remembered");
        const run = await runProgram(steps.start);
        const file = path.join(__dirname, "../..", crdFile("1.29.3", crdsStep(run).inputs.environment.CRDS_DIGEST));
        fs.appendFileSync(file, "# edited\n");
        assert.strictEqual((await templates(steps.start)).length, 1, "a bundle file edited since is rendered again");
        fs.rmSync(file);
        assert.strictEqual((await templates(steps.start)).length, 1, "a bundle file removed since is rendered again");
        assert.ok(fs.existsSync(file), "and written again");
    });

    it("an upgrade changes the step's version, and only when the CRDs' version changes", async () => {
        const { run, before } = await runSteps("start", "installAlongside");
        assert.deepStrictEqual([before!, run].map(r => crdsStep(r).inputs.environment.CRDS_VERSION), ["1.29.3", "1.30.2"]);
        const { run: moved, before: installed } = await runSteps("start", "installAlongside", "moveShop");
        assert.deepStrictEqual(crdsStep(moved).inputs, crdsStep(installed!).inputs);
    });

    it("render mode: the CRDs stay objects of the base chart, written to the manifests; no step, no render apart", async () => {
        const run = await runProgram({ ...steps.start, renderDirectory: "/tmp/rendered" });
        assert.deepStrictEqual(ofType(run, TYPES.command).filter(c => c.name === "crds"), []);
        assert.deepStrictEqual(run.calls.filter(c => c.token === "kubernetes:helm:template"), []);
        assert.strictEqual(find(run, TYPES.chart, "base").inputs.values.base, undefined);
        assert.deepStrictEqual(run.outputs.meshState.crds, { version: "1.29.3" });
    });

    it("the istioctl renderer: istioctl renders base once; its CRDs go to the step, the rest to the ConfigGroup", async () => {
        const run = await runProgram({ ...steps.start, charts: { renderer: "istioctl", istioctl: "/opt/istio-{version}/bin/istioctl" } },
            undefined, {}, (token, inputs) => token === "command:local:run" ? { stdout: istioctlRender(inputs), stderr: "" } : {});
        const base = run.calls.filter(c => c.token === "command:local:run" && JSON.parse(c.inputs.stdin).spec.components.base);
        assert.strictEqual(base.length, 1);
        assert.strictEqual(crdsStep(run).inputs.environment.CRDS_COUNT, "2 CRDs");
        const group = find(run, TYPES.configGroup, "base-manifest").inputs.yaml;
        assert.doesNotMatch(group, /CustomResourceDefinition/);
        assert.match(group, /istiod-default-validator/);
    });
});

describe("IstioMesh under mocks: nothing lost", () => {
    /** The dependencies of each revision's retirement guard and of the destroy lock, as resource names ("<type>::<name>"). */
    const guardDependencies = (run: ProgramRun) => Object.fromEntries(ofType(run, TYPES.command)
        .filter(c => c.name.endsWith("-retirement-guard") || c.name === "decommission-lock")
        .map(c => [c.name, c.dependencies.map(u => u.split("$").pop()!).sort()]));
    const named = (run: ProgramRun, type: string, names: string[]) => names.map(n => `${find(run, type, n).type}::${n}`);

    it("each retirement guard and the destroy lock depend on every object by dependencies alone, so a refused retirement or destroy deletes nothing", async () => {
        const run = await runProgram(steps.installAlongside);
        const charts = ofType(run, TYPES.chart).map(c => c.name);
        assert.deepStrictEqual(charts.sort(), ["base", "gateway-istio-ingress/ingress", "istio-cni", "istiod-1-29", "istiod-1-30"]);
        const expected = [...named(run, TYPES.chart, charts), ...named(run, TYPES.command, ["crds", "namespace-preflight", "workload-restarts"]),
            ...named(run, TYPES.namespace, ["istio-namespace", "namespace-istio-ingress"]),
            ...ofType(run, TYPES.webhook).concat(ofType(run, TYPES.service).filter(s => s.name.startsWith("tag-"))).map(r => `${r.type}::${r.name}`)].sort();
        assert.deepStrictEqual(guardDependencies(run), { "istiod-1-29-retirement-guard": expected, "istiod-1-30-retirement-guard": expected, "decommission-lock": expected });
        assert.ok(!expected.some(d => d.includes("NamespacePatch")), "the bindings through the restart step, which depends on each of them");
        assert.deepStrictEqual(find(run, TYPES.command, "workload-restarts").dependencies.filter(u => u.includes("NamespacePatch")).length, 2);
    });

    it("with restarts manual (no restart step) each guard depends on the bindings themselves; render mode has no guard and no lock", async () => {
        const manual = await runProgram({ ...steps.start, rollout: { restarts: "manual" } });
        const deps = guardDependencies(manual)["istiod-1-29-retirement-guard"];
        assert.deepStrictEqual(deps.filter(d => d.includes("NamespacePatch")), named(manual, TYPES.namespacePatch, ["namespace-cart", "namespace-shop"]));
        assert.ok(!deps.some(d => d.endsWith("::workload-restarts")));
        assert.deepStrictEqual(guardDependencies(await runProgram({ ...steps.start, renderDirectory: "/tmp/rendered" })), {});
    });

    it("the destroy lock is protected until istio-mesh:decommission lifts it, which also lets the guards pass", async () => {
        const locked = await runProgram(steps.start);
        assert.strictEqual(find(locked, TYPES.command, "decommission-lock").protect, true);
        assert.strictEqual(find(locked, TYPES.command, "decommission-lock").inputs.delete, undefined, "deleting it does nothing");
        assert.strictEqual(find(locked, TYPES.command, "istiod-1-29-retirement-guard").inputs.environment.DECOMMISSION, undefined);
        const tearingDown = await runProgram({ ...steps.start, decommission: "true" }, locked.outputs.meshState);
        assert.strictEqual(find(tearingDown, TYPES.command, "decommission-lock").protect, false);
        assert.strictEqual(find(tearingDown, TYPES.command, "istiod-1-29-retirement-guard").inputs.environment.DECOMMISSION, "true");
        assert.ok(!ofType(tearingDown, TYPES.command).some(c => c.protect && c.name !== "decommission-lock"));
    });

    it("the guards and the legacy-label steps read the cluster access the latest run wrote, named by an input every run sets", async () => {
        const run = await runProgram({ ...steps.start, kubernetes: { kubeconfig: "/tmp/ci-job-7/kubeconfig", context: "ci" } }, undefined, {}, undefined, {},
            { namespaceLabels: {}, namespaceInjection: { shop: "enabled" }, objects: [] });
        const file = path.join(__dirname, "..", "..", clusterAccessFile("test"));
        assert.strictEqual(fs.readFileSync(file, "utf8"), "/tmp/ci-job-7/kubeconfig\nci\n");
        assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600, "readable by its owner only");
        for (const name of ["istiod-1-29-retirement-guard", "legacy-injection"]) {
            assert.strictEqual(find(run, TYPES.command, name).inputs.environment.CLUSTER_ACCESS_FILE, clusterAccessFile("test"), name);
        }
    });

    it("a revert that would lower the CRDs is refused before anything is registered", async () => {
        const added = await runProgram({ revisions: [{ version: "1.29.3" }, { version: "1.30.2" }] });
        assert.deepStrictEqual(added.outputs.meshState.crds, { version: "1.30.2", step: true });
        await assert.rejects(runProgram({ revisions: [{ version: "1.29.3" }] }, added.outputs.meshState),
            /istio-mesh:revisions = .*the CRDs are at 1\.30\.2; this config's newest revision is 1\.29\.3/);
    });
});

describe("IstioMesh: its data fields (dataField)", () => {
    it("read as set, cannot be reassigned, and are not listed by Object.keys (the SDK's walk for unknown values follows only what it lists)", () => {
        const mesh = { urn: "u" } as { urn: string; meshState?: { namespaces: Record<string, string> } };
        const state = { namespaces: { shop: "1-30" } };
        dataField(mesh, "meshState", state);
        assert.strictEqual(mesh.meshState, state);
        assert.deepStrictEqual(Object.keys(mesh), ["urn"]);
        assert.throws(() => { "use strict"; (mesh as any).meshState = {}; }, TypeError);
    });
});

describe("IstioMesh: when the restart step keeps its last request", () => {
    const plan = (moving: number, released: number) => ({ namespacesMoving: Array(moving).fill({ name: "x" }), namespacesReleased: Array(released).fill("y") }) as any;
    it("nothing to restart and no binding change: kept (a re-run shows no change)", () => {
        assert.strictEqual(keepsLastRequest("", plan(0, 0)), true);
    });
    it("workloads to restart, or a binding changes (even label only): the new request is the step's input", () => {
        assert.strictEqual(keepsLastRequest("shop 1-31 1-31@1.31.0 Deployment/web@2", plan(0, 0)), false);
        assert.strictEqual(keepsLastRequest("", plan(1, 0)), false);
        assert.strictEqual(keepsLastRequest("", plan(0, 1)), false);
    });
});

describe("IstioMesh under mocks: a label changed by hand", () => {
    it("is taken back on the next up: the binding's patch gets a new input naming the change; otherwise none", async () => {
        const config: RawConfig = { revisions: [{ version: "1.29.3" }, { version: "1.30.2" }], namespaces: { shop: "1-30", cart: "1-29" } };
        const first = await runProgram(config);
        const cluster: Observation = { namespaceLabels: { shop: "1-29", cart: "1-29" }, namespaceVersions: { shop: "812", cart: "4" },
            objects: [...workload("shop", "web", { pods: [{ revision: "1-29", version: "1.29.3" }] })] };
        const run = await runProgram(config, first.outputs.meshState, {}, undefined, {}, cluster);
        assert.deepStrictEqual(find(run, TYPES.namespacePatch, "namespace-shop").inputs.metadata.annotations,
            { "pulumi.com/patchForce": "true", "istio-mesh.dev/label-taken-back-from": "1-29@812" });
        assert.deepStrictEqual(find(run, TYPES.namespacePatch, "namespace-cart").inputs.metadata.annotations, { "pulumi.com/patchForce": "true" });
        assert.strictEqual(request(run), "shop 1-30 1-30@1.30.2 Deployment/web@1", "and its workloads restart");
    });
});

describe("IstioMesh under mocks: the legacy istio-injection label", () => {
    const injected = (namespaceInjection: Record<string, string>): Observation => ({ namespaceLabels: {}, namespaceInjection, objects: [] });

    it("bound namespaces' legacy labels are removed by one step after every patch, and recorded; the preview says which", async () => {
        const run = await runProgram(steps.start, undefined, {}, undefined, {}, injected({ shop: "enabled", other: "enabled" }));
        const step = find(run, TYPES.command, "legacy-injection");
        assert.strictEqual(step.inputs.stdin, "hold shop enabled\n", "cart carries none; an unbound namespace's is not touched");
        assert.strictEqual(step.inputs.create, LEGACY_INJECTION_APPLY_SCRIPT);
        assert.strictEqual(step.inputs.delete, LEGACY_INJECTION_RESTORE_SCRIPT);
        assert.deepStrictEqual(step.dependencies.map(u => u.split("::").pop()).sort(), ["namespace-cart", "namespace-shop"], "after the patches: after their control planes and tags");
        assert.ok(find(run, TYPES.command, "workload-restarts").dependencies.some(u => u.endsWith("::legacy-injection")), "restarts after it");
        assert.deepStrictEqual(run.outputs.meshState.legacyInjection, { shop: "enabled" });
        assert.ok(run.outputs.upgradePlan.summary.includes("namespace shop: istio-injection=enabled removed as istio.io/rev is set (given back when released)"));
        assert.ok(!find(run, TYPES.command, "namespace-preflight").inputs.create.includes("istio-injection-"), "the preflight removes nothing");
        assert.ok(!ofType(await runProgram(steps.start), TYPES.command).some(c => c.name === "legacy-injection"), "no legacy label, no step");
    });

    it("stays held while the namespace is bound (a re-run changes nothing), is removed again when set back by hand, and is given back when it leaves the config", async () => {
        const first = await runProgram(steps.start, undefined, {}, undefined, {}, injected({ shop: "enabled" }));
        const again = await runProgram(steps.installAlongside, first.outputs.meshState);
        assert.strictEqual(find(again, TYPES.command, "legacy-injection").inputs.stdin, "hold shop enabled\n", "the record, not the cluster, holds it now");
        assert.deepStrictEqual(find(again, TYPES.command, "legacy-injection").inputs.__ignoreChanges ?? [], [], "(mocks do not show options)");
        assert.deepStrictEqual(again.outputs.upgradePlan.legacyInjection, { removed: [], givenBack: [] });
        const byHand = await runProgram(steps.installAlongside, again.outputs.meshState, {}, undefined, {}, injected({ shop: "enabled" }));
        assert.strictEqual(find(byHand, TYPES.command, "legacy-injection").inputs.stdin, "hold shop enabled\nagain shop enabled\n", "a new request: the step runs and removes it again");
        const released = await runProgram({ ...steps.installAlongside, namespaces: { cart: "default" } }, again.outputs.meshState);
        assert.strictEqual(find(released, TYPES.command, "legacy-injection").inputs.stdin, "give-back shop enabled\n", "given back by the step's update, before the patch goes");
        assert.deepStrictEqual(released.outputs.upgradePlan.legacyInjection, { removed: [], givenBack: ["shop"] });
        assert.ok(released.outputs.upgradePlan.summary.includes("namespace shop: istio-injection=enabled given back"));
        assert.strictEqual(released.outputs.meshState.legacyInjection, undefined);
        const later = await runProgram({ ...steps.installAlongside, namespaces: { cart: "default" } }, released.outputs.meshState);
        assert.ok(!ofType(later, TYPES.command).some(c => c.name === "legacy-injection"), "nothing held: the step goes, its delete gives back nothing more");
    });
});
