/**
 * The two renderers side by side: one stack config rendered with `charts.renderer: helm` (the charts, through
 * the real Kubernetes provider's Helm) and with `charts.renderer: istioctl` (`istioctl manifest generate` of each
 * version), both through the real `pulumi` engine in render mode (`renderDirectory`: no cluster is needed).
 * It compares what decides how the mesh behaves: istiod's images, env and annotations, the webhooks' selectors,
 * the injection values, the gateway and the CNI node agent. What is left different is asserted exactly and
 * listed with its reason in the README (Renderers: Helm and istioctl).
 *
 * Needs from the offline toolchain the pulumi CLI, its Node.js language host, the kubernetes and command
 * providers, and istioctl and the charts of both Istio minors; without them it is skipped with the reason.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { ANNOTATION, injectorWebhookName, istiodName, revisionNameForVersion, validatorWebhookName } from "../../istio";
import { RawConfig } from "../../model/config";
import { LocalProject, toolchainEnv, toolchainMissing } from "../../demo/local";

/** The toolchain targets this test runs (tools/offline/toolchain.sh --list): no cluster binaries. */
const NEEDED = /^(node|pulumi|pulumi-language-nodejs|pulumi-resource-kubernetes|pulumi-resource-command|istioctl-[\d.]+|charts-[\d.]+)$/;

type K8sObject = Record<string, any>;

/** Every object written under a render directory, by `Kind namespace/name`. */
function renderedObjects(dir: string): Map<string, K8sObject> {
    const objects = new Map<string, K8sObject>();
    const walk = (d: string): void => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const file = path.join(d, entry.name);
            if (entry.isDirectory()) {
                walk(file);
            } else if (/\.ya?ml$/.test(entry.name)) {
                for (const o of yaml.loadAll(fs.readFileSync(file, "utf8")) as K8sObject[]) {
                    if (o?.kind) {
                        objects.set(`${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`, o);
                    }
                }
            }
        }
    };
    walk(dir);
    return objects;
}

const byName = <T extends { name: string }>(items: T[] | undefined): Record<string, T> =>
    Object.fromEntries((items ?? []).map(i => [i.name, i]));

/** What decides how a workload runs: per container its image, command line and environment; the pod's labels and annotations. */
function podSpecThatMatters(template: K8sObject) {
    const containers = (list: K8sObject[] | undefined) => Object.fromEntries((list ?? []).map(c => [c.name, {
        image: c.image, args: c.args, command: c.command,
        env: Object.fromEntries((c.env ?? []).map((e: K8sObject) => [e.name, e.value ?? e.valueFrom])),
    }]));
    return {
        labels: withoutReleaseLabels(template.metadata?.labels),
        annotations: template.metadata?.annotations ?? {},
        containers: containers(template.spec.containers),
        initContainers: containers(template.spec.initContainers),
        serviceAccountName: template.spec.serviceAccountName,
    };
}

/** Labels that name the installer's release and chart version (istioctl: `istio` and the chart compiled into it), not the mesh. */
const INSTALLER_LABELS = /^(app\.kubernetes\.io\/(instance|version)|helm\.sh\/chart|release)$/;

function withoutReleaseLabels(labels: Record<string, string> | undefined): Record<string, string> {
    return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => !INSTALLER_LABELS.test(k)));
}

/** The paths (`.a.b[0]`) where two objects differ, installer labels left out. */
function differences(a: unknown, b: unknown, at = ""): string[] {
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
        return a.flatMap((x, n) => differences(x, b[n], `${at}[${n}]`));
    }
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
        const [x, y] = [a as K8sObject, b as K8sObject];
        const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter(k => !(at.endsWith(".labels") && INSTALLER_LABELS.test(k)));
        return keys.sort().flatMap(k => differences(x[k], y[k], `${at}.${k}`));
    }
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

/** Per webhook: what it selects, what it calls, when it fails. */
function webhooksThatMatter(config: K8sObject) {
    return Object.fromEntries((config.webhooks ?? []).map((w: K8sObject) => [w.name, {
        namespaceSelector: w.namespaceSelector, objectSelector: w.objectSelector, rules: w.rules,
        service: w.clientConfig?.service, failurePolicy: w.failurePolicy, matchPolicy: w.matchPolicy,
    }]));
}

describe("renderers: one config rendered by Helm and by istioctl", function () {
    let helm: Map<string, K8sObject>;
    let istioctl: Map<string, K8sObject>;
    let OLD: string;
    let NEW: string;
    const istioNamespace = "istio-system";
    const projects: LocalProject[] = [];
    let scratch: string;

    before(function () {
        const missing = toolchainMissing(NEEDED);
        if (missing) {
            // Reported as pending (skipped) with the reason, never as passed.
            const reason = `skipped: toolchain missing: ${missing}; build it with 'npm run toolchain'`;
            console.log(`    ${reason}`);
            this.test!.title += ` (${reason})`;
            this.skip();
        }
        const env = toolchainEnv();
        [OLD, NEW] = [env.ISTIO_MESH_ISTIO_OLD!, env.ISTIO_MESH_ISTIO_NEW!];
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-renderers-"));
        const render = (renderer: "helm" | "istioctl"): Map<string, K8sObject> => {
            const project = LocalProject.create(renderer, env);
            projects.push(project);
            const dir = path.join(scratch, renderer);
            project.setConfig(config(renderer, dir, env));
            project.up();
            return renderedObjects(dir);
        };
        helm = render("helm");
        istioctl = render("istioctl");
    });

    after(() => {
        projects.forEach(p => p.dispose());
        if (scratch) {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    });

    /** Everything the two renders share: two revisions (one with its own values), tags, a gateway, CNI, a private hub. */
    function config(renderer: "helm" | "istioctl", renderDirectory: string, env: NodeJS.ProcessEnv): RawConfig {
        return {
            kubernetesVersion: "1.34",
            registry: { hub: "registry.example.com/istio", imagePullSecrets: ["istio-pull"] },
            charts: {
                renderer,
                localDir: `${env.ISTIO_MESH_CHARTS}/{version}`,
                istioctl: `${env.ISTIO_MESH_TOOLCHAIN}/bin/istioctl-{version}`,
            },
            renderDirectory,
            revisions: [
                { version: OLD },
                { version: NEW, values: { env: { PILOT_ENABLE_STATUS: "true" }, meshConfig: { accessLogFile: "/dev/stdout" } } },
            ],
            tags: { default: revisionNameForVersion(OLD), canary: revisionNameForVersion(NEW) },
            namespaces: { shop: "default" },
            gateways: [{ name: "istio-ingressgateway", namespace: "istio-ingress", revision: "default", replicas: 2, podDisruptionBudget: { minAvailable: 1 } }],
            cni: { enabled: true, version: OLD },
        };
    }

    const get = (objects: Map<string, K8sObject>, key: string): K8sObject => {
        const o = objects.get(key);
        assert.ok(o, `${key} is rendered (have: ${[...objects.keys()].filter(k => k.startsWith(key.split(" ")[0])).join(", ")})`);
        return o;
    };
    const both = (key: string) => [get(helm, key), get(istioctl, key)];

    it("istiod of each revision: the same images, env, labels and annotations (the program's included)", () => {
        for (const version of [OLD, NEW]) {
            const [h, i] = both(`Deployment ${istioNamespace}/${istiodName(revisionNameForVersion(version))}`);
            assert.deepStrictEqual(podSpecThatMatters(i.spec.template), podSpecThatMatters(h.spec.template), version);
            assert.deepStrictEqual(i.metadata.annotations, h.metadata.annotations, version);
            assert.strictEqual(h.metadata.annotations[ANNOTATION.kubernetesVersion], "1.34");
            assert.strictEqual(i.spec.replicas, h.spec.replicas);
        }
        const newer = get(istioctl, `Deployment ${istioNamespace}/${istiodName(revisionNameForVersion(NEW))}`);
        assert.strictEqual(podSpecThatMatters(newer.spec.template).containers.discovery.env.PILOT_ENABLE_STATUS, "true",
            "the revision's own values reach istioctl's istiod");
    });

    it("the injector and validator webhooks of each revision, and the default validator: the same selectors and services", () => {
        for (const version of [OLD, NEW]) {
            const revision = revisionNameForVersion(version);
            for (const key of [`MutatingWebhookConfiguration /${injectorWebhookName(revision)}`,
                `ValidatingWebhookConfiguration /${validatorWebhookName(revision, istioNamespace)}`]) {
                const [h, i] = both(key);
                assert.deepStrictEqual(webhooksThatMatter(i), webhooksThatMatter(h), key);
            }
        }
        const [h, i] = both("ValidatingWebhookConfiguration /istiod-default-validator");
        assert.deepStrictEqual(webhooksThatMatter(i), webhooksThatMatter(h));
    });

    it("the injection values istiod injects with (hub, tag, CNI, pull secrets)", () => {
        for (const version of [OLD, NEW]) {
            const key = `ConfigMap ${istioNamespace}/istio-sidecar-injector-${revisionNameForVersion(version)}`;
            const [h, i] = both(key).map(cm => JSON.parse(cm.data.values));
            for (const setting of ["hub", "tag", "imagePullSecrets", "istioNamespace", "proxy"]) {
                assert.deepStrictEqual(i.global[setting], h.global[setting], `${key}: global.${setting}`);
            }
            assert.deepStrictEqual(i.pilot.cni, h.pilot.cni, `${key}: pilot.cni`);
            assert.strictEqual(h.pilot.cni.enabled, true);
            assert.strictEqual(i.revision, h.revision);
        }
    });

    it("the gateway: the same Deployment, Service and PodDisruptionBudget (the gateway chart under both)", () => {
        const [h, i] = both("Deployment istio-ingress/istio-ingressgateway");
        assert.deepStrictEqual(i.spec, h.spec);
        assert.strictEqual(h.spec.template.metadata.annotations[ANNOTATION.proxyVersion], OLD);
        assert.deepStrictEqual(get(istioctl, "Service istio-ingress/istio-ingressgateway").spec, get(helm, "Service istio-ingress/istio-ingressgateway").spec);
        assert.deepStrictEqual(get(istioctl, "PodDisruptionBudget istio-ingress/istio-ingressgateway").spec,
            get(helm, "PodDisruptionBudget istio-ingress/istio-ingressgateway").spec);
    });

    it("the CNI node agent: the same images, env and arguments", () => {
        const [h, i] = both(`DaemonSet ${istioNamespace}/istio-cni-node`);
        assert.deepStrictEqual(podSpecThatMatters(i.spec.template), podSpecThatMatters(h.spec.template));
        const [hc, ic] = both(`ConfigMap ${istioNamespace}/istio-cni-config`);
        assert.deepStrictEqual(ic.data, hc.data);
    });

    it("the same objects, equal but for the differences the README lists", () => {
        const only = (a: Map<string, K8sObject>, b: Map<string, K8sObject>) => [...a.keys()].filter(k => !b.has(k)).sort();
        console.log(`      helm: ${helm.size} objects, istioctl: ${istioctl.size}`);
        assert.deepStrictEqual({ onlyHelm: only(helm, istioctl), onlyIstioctl: only(istioctl, helm) }, { onlyHelm: [], onlyIstioctl: [] });
        const differing = [...helm.keys()].sort().flatMap(key => differences(helm.get(key), istioctl.get(key)).map(p => `${key} ${p}`));
        // The values istiod keeps: istioctl's profile and component switches add settings of components this
        // release does not render (README: Renderers). Every other field of every object is the same.
        assert.deepStrictEqual(differing, [OLD, NEW].flatMap(version => [
            `ConfigMap ${istioNamespace}/values-${revisionNameForVersion(version)} .data.merged-values`,
            `ConfigMap ${istioNamespace}/values-${revisionNameForVersion(version)} .data.original-values`,
        ]));
    });
});
