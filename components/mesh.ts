import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ANNOTATION, CrdBundle, gatewayDeploymentName, imageTag } from "../istio";
import { CONFIG_NAMESPACE, MeshSpec } from "../model/config";
import { gatewayId, gatewayResourceName, legacyGatewayName, MeshFacts, MeshState, planUpgrade, UpgradePlan } from "../model/facts";
import { controlPlaneGate, formatGateRequest, gateSummary, gatewayApiGate, gatewayGate, planGates, tagGate, waveGate } from "../model/gate";
import { parseDuration } from "../model/duration";
import { LEGACY_INJECTION_STEP, legacyInjectionStep } from "../model/legacyInjection";
import { ambientTarget, formatRequest, labelChangedOutside, NamespaceTarget, Observation, planRollout, reportRollout } from "../model/rollout";
import { namespaceWaypoints } from "../model/ambient/waypoints";
import { describeNodes, nodeSummary, NodePlan, NodeState, observeNodes, planNodes, ztunnelRelease } from "../model/ambient/nodes";
import { IstioBase } from "./base";
import { IstioCni } from "./cni";
import { IstioGateway } from "./gateway";
import { GatewayApiCrds } from "./gatewayApiCrds";
import { GatewayApiGateway } from "./gatewayApiGateway";
import { credentialEnvironment, GateCredentials, gateStart, gateStep } from "./healthGate";
import {
    clusterAccessFile, clusterEnvironment, LEGACY_INJECTION_APPLY_SCRIPT, LEGACY_INJECTION_RESTORE_SCRIPT, NAMESPACE_PREFLIGHT_SCRIPT,
} from "./kubectl";
import { bindNamespace, bindPaced } from "./namespaceBinding";
import { releaseObjects } from "./release";
import { IstioRevision } from "./revision";
import { IstioZtunnel } from "./ztunnel";
import { RevisionTags } from "./revisionTags";
import { ROLLOUT_STEP_COMMAND } from "./rolloutStep";
import { DECOMMISSION_LOCK, TYPE } from "./types";

/** What render mode writes in place of registry credentials: a valid, empty dockerconfigjson. */
export const PULL_SECRET_PLACEHOLDER = "{\"auths\":{}}";

export interface IstioMeshArgs {
    /** The validated spec (model/config/). */
    spec: MeshSpec;
    /** Its derived facts (model/facts.ts). */
    facts: MeshFacts;
    /** What the previous `up` recorded; undefined on the first run. */
    previous?: MeshState;
    /**
     * What the bound namespaces run now (components/kubectl.ts `observe`), read when the program runs, so the
     * preview names the workloads that restart. Undefined (render mode): nothing restarts.
     */
    observation?: Observation;
    /** The kubeconfig and context were set as secrets: the kubectl steps' KUBECONFIG and KUBE_CONTEXT stay secret. */
    secretCluster?: boolean;
    /** Registry credentials (a secret dockerconfigjson) for the pull secret `spec.pullSecretName`. */
    registryCredentials?: pulumi.Input<string>;
    /** The health gate's Prometheus credentials (secret config), when set. */
    gateCredentials?: GateCredentials;
    /** The manifests of the Gateway API release `spec.gatewayApi.crds` names (components/gatewayApiCrds.ts readGatewayApiBundle). */
    gatewayApiBundle?: CrdBundle;
    /**
     * The provider that applies the users' own Gateways (gatewayApi manifests): one that takes over an existing
     * object (upsertExistingObjects, enablePatchForce), so a Gateway created by hand is adopted. Default: the mesh's.
     */
    adoptProvider?: k8s.Provider;
}

/**
 * Whether the restart step keeps its last request (its `stdin` changes are ignored): only when nothing is to be
 * restarted and no namespace binding changes, so the kept request still names the current targets.
 */
export function keepsLastRequest(request: string, plan: UpgradePlan): boolean {
    return request === "" && plan.namespacesMoving.length === 0 && plan.namespacesReleased.length === 0;
}

/**
 * Sets a read-only field that `Object.keys` does not list, so the SDK's search for unknown values in an output's
 * value (which follows every enumerable field, a resource's parent included) does not walk it.
 */
export function dataField<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): void {
    Object.defineProperty(target, key, { value, enumerable: false, writable: false });
}

/** Per revision, what the stack exports. */
export interface RevisionOutput {
    version: string;
    istiod: string;
    tags: string[];
    namespaces: string[];
    gateways: string[];
    upgradedFrom?: string;
}

/**
 * The whole mesh, wired in the order an upgrade must happen: CRDs (base) first; control planes next; then
 * tags, CNI, gateways and namespaces that depend on the control planes they use. Revisions that leave the
 * config are deleted last by Pulumi, after everything has moved off them, and only past their retirement guard.
 */
export class IstioMesh extends pulumi.ComponentResource {
    // The three data fields below grow with the namespaces and are not enumerable (dataField): the SDK walks every
    // object reachable from an output's value looking for unknowns, and every resource of the mesh reaches this
    // component through its parent; enumerable, each of those walks crossed them (README, Performance).
    declare public readonly revisions: Record<string, RevisionOutput>;
    declare public readonly upgradePlan: UpgradePlan;
    /**
     * Resolves with the namespaces' patches once every one is registered (a few at a time: bindPaced) and, after them,
     * the steps that depend on them (legacy labels, restarts, retirement guards, the destroy lock); rejects if one fails.
     */
    public readonly namespacesBound: Promise<pulumi.Resource[]>;
    /** Recorded for the next run (in-place checks, restart selection, the upgrade plan). */
    declare public readonly meshState: MeshState;
    /** Ambient mode: ztunnel's target configuration and each node as observed when the program ran, with the step's plan. */
    public readonly ztunnelNodes?: { target: string; nodes: NodeState[]; plan: NodePlan };

    constructor(name: string, args: IstioMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPE.mesh, name, {}, opts);
        const { spec, facts } = args;
        const live = !spec.renderDirectory;
        const kubectlEnvironment: Record<string, pulumi.Input<string>> | undefined = live
            ? Object.fromEntries(Object.entries(clusterEnvironment(spec.kubernetes)).map(([k, v]) => [k, args.secretCluster ? pulumi.secret(v) : v]))
            : undefined;
        const parent = { parent: this };

        const istioNamespace = new k8s.core.v1.Namespace("istio-namespace", {
            metadata: { name: spec.istioNamespace },
        }, { ...parent, retainOnDelete: true });
        const namespaces = new Map<string, pulumi.Resource>([[spec.istioNamespace, istioNamespace]]);
        const ensureNamespace = (ns: string): pulumi.Resource => {
            if (!namespaces.has(ns)) {
                // Gateway and CNI namespaces: created when missing, kept on destroy (others may use them too).
                namespaces.set(ns, new k8s.core.v1.Namespace(`namespace-${ns}`, { metadata: { name: ns } },
                    { ...parent, retainOnDelete: true }));
            }
            return namespaces.get(ns)!;
        };
        const pullSecrets = new Map<string, pulumi.Resource>();
        const ensurePullSecret = (ns: string): pulumi.Resource[] => {
            if (!spec.pullSecretName || !args.registryCredentials) {
                return [];
            }
            if (!pullSecrets.has(ns)) {
                // Render mode writes manifests in clear text: the credentials stay out of them (a placeholder instead).
                pullSecrets.set(ns, new k8s.core.v1.Secret(`pull-secret-${ns}`, {
                    metadata: { name: spec.pullSecretName, namespace: ns, ...(live ? {} : { annotations: { [ANNOTATION.placeholder]: "true" } }) },
                    type: "kubernetes.io/dockerconfigjson",
                    stringData: { ".dockerconfigjson": live ? pulumi.secret(args.registryCredentials) : PULL_SECRET_PLACEHOLDER },
                }, { ...parent, dependsOn: [ensureNamespace(ns)] }));
                if (!live) {
                    pulumi.log.warn(`render mode: Secret ${ns}/${spec.pullSecretName} is rendered with a placeholder, not registryCredentials ` +
                        `(manifests are plain text). Create it before applying: kubectl -n ${ns} create secret docker-registry ` +
                        `${spec.pullSecretName} --from-file=.dockerconfigjson=config.json, and skip the rendered file.`, this);
                }
            }
            return [pullSecrets.get(ns)!];
        };

        const base = new IstioBase("base", {
            version: facts.newest.version,
            istioNamespace: spec.istioNamespace,
            defaultRevision: facts.defaultRevision,
            charts: spec.charts,
            kubectl: kubectlEnvironment,
        }, { ...parent, dependsOn: [istioNamespace] });

        const { crds: gatewayApiCrds } = spec.gatewayApi;
        if (gatewayApiCrds && !args.gatewayApiBundle) {
            throw new pulumi.ResourceError(`istio-mesh: the manifests of Gateway API ${gatewayApiCrds.version} were not handed to the mesh`, this);
        }
        const gatewayApiBase = gatewayApiCrds ? [new GatewayApiCrds("gateway-api-crds", {
            ...gatewayApiCrds, bundle: args.gatewayApiBundle!, kubectl: kubectlEnvironment,
        }, { ...parent, dependsOn: [istioNamespace] }).ready] : [];

        const revisions = new Map<string, IstioRevision>();
        for (const r of facts.revisions) {
            revisions.set(r.name, new IstioRevision(`istiod-${r.name}`, {
                revision: r.name,
                version: r.version,
                istioNamespace: spec.istioNamespace,
                images: spec.images,
                cni: spec.cni ? { enabled: true, chained: spec.cni.chained } : undefined,
                upgradedFrom: r.upgradedFrom,
                kubernetesVersion: spec.kubernetesVersion,
                values: r.values,
                charts: spec.charts,
                ambient: !!spec.ambient,
            }, { ...parent, dependsOn: [base, ...gatewayApiBase, ...ensurePullSecret(spec.istioNamespace)] }));
        }
        const releaseOf = (revision: string) => revisions.get(revision)!.release;
        // The health gate (live stacks only): a gate after each control plane, that what moves to it waits for.
        const gate = live ? spec.healthGate : undefined;
        if (spec.healthGate && !live) {
            pulumi.log.warn("render mode: istio-mesh:healthGate has no effect (nothing is applied, so nothing is watched)", this);
        }
        const controlPlaneGates = new Map(gate ? facts.revisions.map(r => [r.name, gateStep(`health-gate-${r.name}`,
            controlPlaneGate(gate, r.name, r.version), args.gateCredentials, { parent: revisions.get(r.name)!, dependsOn: [releaseOf(r.name)] })]) : []);
        /** A revision's release and, with the gate on, its gate: what moves to the revision waits for both. */
        const readyOf = (revision: string): pulumi.Resource[] => [releaseOf(revision), ...(controlPlaneGates.has(revision) ? [controlPlaneGates.get(revision)!] : [])];

        let cni: IstioCni | undefined;
        if (spec.cni) {
            cni = new IstioCni("istio-cni", {
                version: spec.cni.version,
                chained: spec.cni.chained,
                namespace: spec.cni.namespace,
                istioNamespace: spec.istioNamespace,
                images: spec.images,
                values: spec.cni.values,
                charts: spec.charts,
                ambient: !!spec.ambient,
            }, {
                ...parent,
                // After every control plane, so istiod is upgraded first and CNI follows.
                dependsOn: [...revisions.keys()].flatMap(readyOf)
                    .concat(ensureNamespace(spec.cni.namespace), ...ensurePullSecret(spec.cni.namespace)),
            });
        }


        // Ambient mode: ztunnel after istio-cni, and before the tags, waypoints, gateways and namespaces (Istio's ambient
        // order, istio/ambient.ts). Its step has every node on ztunnel's configuration before any of them moves.
        let ztunnel: IstioZtunnel | undefined;
        if (spec.ambient) {
            const z = spec.ambient.ztunnel;
            const nodes = args.observation?.ztunnel;
            const settings = { cordon: z.cordon, drain: z.drain, replace: z.rollout === "nodeByNode" };
            const release = ztunnelRelease({ ...spec, ambient: spec.ambient });
            const target = release.target;
            const states = nodes ? observeNodes(nodes.nodes, nodes.pods, target) : [];
            const nodePlan = planNodes(states, settings, z.nodesAtOnce);
            const request = describeNodes(states, nodePlan, z.version).join("\n");
            this.ztunnelNodes = { target, nodes: states, plan: nodePlan };
            ztunnel = new IstioZtunnel("ztunnel", {
                release,
                version: z.version,
                revision: z.revision,
                rollout: z.rollout,
                istioNamespace: spec.istioNamespace,
                charts: spec.charts,
                step: kubectlEnvironment ? { spec: z, environment: kubectlEnvironment, request, keepLastRequest: request === "" } : undefined,
            }, { ...parent, dependsOn: [...readyOf(z.revision), ...(cni ? [cni.release] : [])] });
            if (!live && z.rollout === "nodeByNode") {
                pulumi.log.warn("render mode: ztunnel's DaemonSet is rendered with updateStrategy OnDelete (istio-mesh:ambient.ztunnel.rollout is nodeByNode) " +
                    "and no step runs: after applying it, delete each node's ztunnel pod in turn (cordon and drain first), or set rollout: rolling", this);
            }
        }
        /** What moves after the node agents in Istio's ambient order waits for ztunnel on every node. */
        const nodeAgents: pulumi.Resource[] = ztunnel ? ztunnel.ready : [];

        const tags = new RevisionTags("tags", {
            tags: spec.tags.map(t => ({ name: t.name, revision: t.revision, version: revisions.get(t.revision)!.version })),
            istioNamespace: spec.istioNamespace,
        }, { ...parent, dependsOn: [...spec.tags.flatMap(t => readyOf(t.revision)), ...nodeAgents] });
        const tagGates = new Map(gate ? spec.tags.map(t => [t.name, gateStep(`health-gate-tag-${t.name}`,
            tagGate(gate, t.name, t.revision, spec.namespaces.filter(n => n.target === t.name).map(n => n.name)), args.gateCredentials,
            { parent: tags, dependsOn: tags.objectsOf(t.name) })]) : []);
        /** A tag's objects and, with the gate on, its gate (none for a revision). */
        const tagObjects = (label: string): pulumi.Resource[] => [...tags.objectsOf(label), ...(tagGates.has(label) ? [tagGates.get(label)!] : [])];

        const gatewayGates: pulumi.Resource[] = [];
        const gateways = spec.gateways.map((gw, i) => {
            const binding = facts.gateways[gatewayId(gw)];
            const legacy = legacyGatewayName(gw, spec.gateways);
            // With the gate on: when the gateway's change began (it depends on this), for the gate's comparison with before.
            const start = gate ? [gateStart(`health-gate-gateway-${gatewayId(gw)}`, `${binding.target} ${binding.revision}@${binding.version}`, parent)] : [];
            const gateway = new IstioGateway(gatewayResourceName(gw), {
                name: gw.name,
                releaseName: legacy.releaseName,
                namespace: gw.namespace,
                binding,
                serviceType: gw.serviceType,
                awaitLoadBalancer: gw.awaitLoadBalancer,
                configKey: `${CONFIG_NAMESPACE}:gateways[${i}]`,
                replicas: gw.replicas,
                podDisruptionBudget: gw.podDisruptionBudget,
                imagePullSecrets: spec.images.imagePullSecrets,
                values: gw.values,
                charts: spec.charts,
            }, {
                ...parent,
                dependsOn: [...readyOf(binding.revision), ...tagObjects(binding.target), ...nodeAgents, ensureNamespace(gw.namespace), ...ensurePullSecret(gw.namespace), ...start],
                aliases: legacy.alias ? [{ name: legacy.alias }] : [],
            });
            if (gate) {
                gatewayGates.push(gateStep(`health-gate-gateway-${gatewayId(gw)}`, gatewayGate(gate, gatewayId(gw), binding.revision, binding.version),
                    args.gateCredentials, { parent: gateway, dependsOn: [gateway.release] }, start[0].stdout));
            }
            return gateway;
        });

        // Gateway API gateways: each after its revision (and tag), those that move in waves, each wave's Deployments
        // awaited (and the pause kept) before the next wave's Gateways are relabelled.
        const gatewayApiPlan = planUpgrade(args.previous, facts, undefined, spec.rollout.parallelNamespaces).gatewayApi;
        const timeoutSeconds = Math.ceil(parseDuration(spec.restartTimeout)! / 1000);
        const pauseSeconds = Math.ceil((parseDuration(spec.rollout.pauseBetween, { zero: true }) ?? 0) / 1000);
        const waveOf = new Map(gatewayApiPlan.waves.flatMap((w, i) => w.map(id => [id, i] as const)));
        const gatewayApiGateways = new Map<string, GatewayApiGateway>();
        /** Per Gateway, what the next wave waits for: its rollout step and, with the gate on, its gate. */
        const awaited = new Map<string, pulumi.Resource[]>();
        // Registered wave by wave (then the rest), so each wave can wait for the steps of the one before.
        const inOrder = [...spec.gatewayApi.gateways.entries()].sort(([, a], [, b]) =>
            (waveOf.get(gatewayId(a)) ?? Infinity) - (waveOf.get(gatewayId(b)) ?? Infinity));
        for (const [i, gw] of inOrder) {
            const id = gatewayId(gw);
            const binding = facts.gatewayApi[id];
            const wave = waveOf.get(id);
            const before = wave !== undefined && wave > 0 ? gatewayApiPlan.waves[wave - 1].flatMap(g => awaited.get(g) ?? []) : [];
            // With the gate on: when the Gateway's change began, for the gate's comparison with before.
            const start = gate ? [gateStart(`health-gate-gateway-api-${id}`, `${binding.target} ${binding.revision}@${binding.version}`, parent)] : [];
            const gateway = new GatewayApiGateway(`gateway-api-${id}`, {
                gateway: gw,
                binding,
                configKey: `${CONFIG_NAMESPACE}:gatewayApi.gateways[${i}]`,
                kubectl: kubectlEnvironment,
                istioNamespace: spec.istioNamespace,
                proxyTag: imageTag(spec.images, binding.version),
                timeout: spec.restartTimeout,
                timeoutSeconds,
                pauseSeconds: wave !== undefined && wave < gatewayApiPlan.waves.length - 1 ? pauseSeconds : 0,
                adopted: gw.manifest !== undefined,
                ...(gw.manifest && args.adoptProvider ? { provider: args.adoptProvider } : {}),
            }, {
                ...parent,
                // After ztunnel is on every node too (Istio's ambient order: waypoints and gateways move after the node agents).
                dependsOn: [...readyOf(binding.revision), ...tagObjects(binding.target), ...nodeAgents, ...gatewayApiBase, ...before, ...start],
            });
            gatewayApiGateways.set(id, gateway);
            const rollout = gateway.rollout ? [gateway.rollout] : [];
            awaited.set(id, [...rollout, ...(gate ? [gateStep(`health-gate-gateway-api-${id}`,
                gatewayApiGate(gate, id, gatewayDeploymentName(gw.name, gw.className), binding.revision, binding.version),
                args.gateCredentials, { parent: gateway, dependsOn: rollout }, start[0].stdout)] : [])]);
        }

        // One check for all bound namespaces (they must exist), before any is labelled; their names go by stdin.
        const ambientNamespaces = spec.ambient?.namespaces ?? [];
        const useWaypoint = namespaceWaypoints(spec);
        const preflight = kubectlEnvironment && spec.namespaces.length + ambientNamespaces.length > 0 ? [new command.local.Command("namespace-preflight", {
            create: NAMESPACE_PREFLIGHT_SCRIPT,
            update: NAMESPACE_PREFLIGHT_SCRIPT,
            interpreter: ["/bin/bash", "-c"],
            stdin: [...spec.namespaces.map(n => n.name), ...(spec.ambient?.namespaces ?? [])].map(n => `${n}\n`).sort().join(""),
            environment: kubectlEnvironment,
        }, parent)] : [];
        // One patch per namespace, sidecar or ambient alike: moving a namespace between the two is an update of its one patch
        // (istio.io/rev <-> istio.io/dataplane-mode), so it is never left with both labels or with neither.
        const bound: ({ name: string; ambient: false } | { name: string; ambient: true })[] = [
            ...spec.namespaces.map(n => ({ name: n.name, ambient: false as const })),
            ...ambientNamespaces.map(name => ({ name, ambient: true as const })),
        ];
        const patches = bindPaced(bound, ns => {
            if (ns.ambient) {
                return bindNamespace(`namespace-${ns.name}`, { namespace: ns.name, ambient: true, useWaypoint: useWaypoint[ns.name] },
                    { ...parent, dependsOn: [...nodeAgents, ...preflight, ...gatewayGates] });
            }
            const binding = facts.namespaces[ns.name];
            const takenBackFrom = labelChangedOutside(ns.name, binding.target, args.previous?.namespaces[ns.name]?.target, args.observation);
            return bindNamespace(`namespace-${ns.name}`, { namespace: ns.name, binding, ...(takenBackFrom ? { takenBackFrom } : {}) },
                { ...parent, dependsOn: [...readyOf(binding.revision), ...tagObjects(binding.target), ...nodeAgents, ...preflight, ...gatewayGates] });
        });
        // Steps that may run at delete time read the cluster access of the latest run (program.ts writes it).
        const deleteTimeEnvironment = kubectlEnvironment && { ...kubectlEnvironment, CLUSTER_ACCESS_FILE: clusterAccessFile(pulumi.getStack()) };
        const legacyStep = legacyInjectionStep(facts.state, args.previous, args.observation?.namespaceInjection);
        // The restarts, decided from what the pods run (model/rollout/decide.ts). The request (the step's stdin) names every
        // workload, so the preview's diff of the step shows them. With nothing to restart and no binding changed, the
        // last request is kept: a re-run shows no change, and the kept request still names the current targets
        // (the step re-decides every workload on the cluster anyway).
        const targets: NamespaceTarget[] = [...spec.namespaces.map(ns => {
            const b = facts.namespaces[ns.name];
            return { namespace: ns.name, label: b.target, revision: b.revision, version: b.version };
        }), ...ambientNamespaces.map(namespace => ambientTarget(namespace, spec.ambient!.ztunnel.version))].sort((a, b) => a.namespace.localeCompare(b.namespace));
        const rollout = args.observation ? planRollout(targets, args.observation, spec.rollout) : undefined;
        const previousCni = args.previous?.cni?.version;
        const cniChange = previousCni !== spec.cni?.version
            ? { ...(previousCni ? { from: previousCni } : {}), ...(spec.cni ? { to: spec.cni.version } : {}) } : undefined;
        const rolloutReport = reportRollout(rollout, spec.rollout.restarts, cniChange);
        const ztunnelNodes = this.ztunnelNodes && spec.ambient && {
            lines: nodeSummary(this.ztunnelNodes.nodes, this.ztunnelNodes.plan, spec.ambient.ztunnel),
            report: {
                version: spec.ambient.ztunnel.version,
                nodes: this.ztunnelNodes.nodes.map(n => ({
                    name: n.name, ...(n.pod?.version ? { version: n.pod.version } : {}), actions: this.ztunnelNodes!.plan.actions[n.name], cordonedByUs: n.cordonedByUs,
                })),
            },
        };
        const plan = planUpgrade(args.previous, facts, rolloutReport, spec.rollout.parallelNamespaces, args.observation?.ztunnel ? ztunnelNodes : undefined);
        // An ambient namespace's wave is watched at ztunnel's control plane.
        const waveTargets = (names: readonly string[]) => names.map(namespace => ({ namespace, revision: facts.namespaces[namespace]?.revision ?? spec.ambient!.ztunnel.revision }));
        const gatePlan = gate && planGates(gate, {
            ...plan, waves: rolloutReport.restarts === "auto" ? rolloutReport.waves.map(waveTargets) : [],
            namespacesOfTag: Object.fromEntries(spec.tags.map(t => [t.name, spec.namespaces.filter(n => n.target === t.name).map(n => n.name)])),
            gatewayApiMoving: plan.gatewayApi.moving.map(m => {
                const gw = spec.gatewayApi.gateways.find(g => gatewayId(g) === m.name);
                return { ...m, deployment: gw ? gatewayDeploymentName(gw.name, gw.className) : m.name };
            }),
        });
        dataField(this, "upgradePlan", gatePlan ? { ...plan, healthGate: gatePlan, summary: [...plan.summary, ...gateSummary(gatePlan)] } : plan);
        if (gatePlan?.onNoData === "skip" && gatePlan.points.length > 0) {
            pulumi.log.warn("istio-mesh:healthGate.onNoData is skip: where Prometheus cannot answer, or a query has no data, the gate lets the step through " +
                "without that check (fail closed is the default)", this);
        }
        const request = kubectlEnvironment && targets.length > 0 && spec.rollout.restarts === "auto" ? (rollout ? formatRequest(rollout) : "") : undefined;

        // The steps after the namespace patches are registered once every patch is, and depend on them as a plain list: a
        // promise or output of thousands of resources is walked whole by the SDK (its search for unknown values), three
        // times per step (README, Performance).
        this.namespacesBound = patches.then(bound => {
            // The legacy istio-injection labels: removed after every patch (so after the control planes and tags), given back
            // by the step when their namespace leaves the config (before its patch is deleted) or when the step is deleted.
            const legacy = deleteTimeEnvironment && legacyStep.request !== "" ? [new command.local.Command(LEGACY_INJECTION_STEP, {
                create: LEGACY_INJECTION_APPLY_SCRIPT,
                update: LEGACY_INJECTION_APPLY_SCRIPT,
                delete: LEGACY_INJECTION_RESTORE_SCRIPT,
                interpreter: ["/bin/bash", "-c"],
                stdin: legacyStep.request,
                environment: deleteTimeEnvironment,
            }, {
                ...parent,
                dependsOn: bound,
                // Nothing to do in this step: the last request holds the same labels, so a re-run shows no change.
                ignoreChanges: legacyStep.changes ? [] : ["stdin"],
            })] : [];
            const bindings = [...bound, ...legacy];
            const restarts = kubectlEnvironment && request !== undefined ? new command.local.Command("workload-restarts", {
                create: ROLLOUT_STEP_COMMAND,
                update: ROLLOUT_STEP_COMMAND,
                interpreter: ["/bin/bash", "-c"],
                stdin: request,
                environment: {
                    ...kubectlEnvironment,
                    TIMEOUT: spec.restartTimeout,
                    ROLLOUT_PARALLEL: String(spec.rollout.parallelNamespaces),
                    ROLLOUT_PAUSE: spec.rollout.pauseBetween,
                    // The step records a failed wave in a ConfigMap of the istio namespace, and checks it again first next time.
                    ...(gate ? { HEALTH_GATE: formatGateRequest(waveGate(gate)), GATE_RECORD_NAMESPACE: spec.istioNamespace, ...credentialEnvironment(args.gateCredentials) } : {}),
                },
            }, {
                ...parent,
                // After every namespace is labelled (its legacy label gone), and after the CNI DaemonSet has rolled out
                // (new pods need its node agent).
                dependsOn: [...bindings, ...(cni ? [cni.release] : [])],
                ignoreChanges: keepsLastRequest(request, this.upgradePlan) ? ["stdin"] : [],
            }) : undefined;
            if (deleteTimeEnvironment) {
                // Armed last, each guard and the lock depend on every object above through dependencies alone (the engine
                // holds back what a failed delete depends on, transitively, but never looks into a component's children):
                // each release's objects one by one, the base release's included; the restart step, which depends on every
                // namespace's patch and legacy-label step (one dependency, not thousands); the rest directly.
                const releases = [base, ...revisions.values(), ...gateways, ...(cni ? [cni] : []), ...(ztunnel ? [ztunnel] : [])].map(c => releaseObjects(c.release, pulumi.resourceName(c)));
                const everything = pulumi.all(releases).apply(objects => [
                    ...objects.flat(), ...(base.crds ? [base.crds] : []), ...gatewayApiBase, tags,
                    ...[...gatewayApiGateways.values()].map(g => g.gateway), ...[...awaited.values()].flat(), ...namespaces.values(), ...pullSecrets.values(), ...preflight,
                    ...(restarts ? [restarts] : bindings),
                ]);
                const guardEnvironment = { ...deleteTimeEnvironment, ...(spec.decommission ? { DECOMMISSION: "true" } : {}) };
                revisions.forEach(r => r.armRetirementGuard(guardEnvironment, everything));
                // `pulumi destroy` runs no program: the engine's own rules must refuse it. A protected resource's delete
                // fails in the preview and, under --skip-preview or --continue-on-error, holds back all it depends on.
                new command.local.Command(DECOMMISSION_LOCK, {
                    create: "echo 'istio-mesh: pulumi destroy is refused while this lock is protected; istio-mesh:decommission lifts it (README, Safety)'",
                }, { ...parent, dependsOn: everything, protect: !spec.decommission });
            }
            return bound;
        });

        dataField(this, "revisions", Object.fromEntries(facts.revisions.map(r => [r.name, {
            version: r.version,
            istiod: revisions.get(r.name)!.istiodName,
            tags: [...r.tags],
            namespaces: [...r.namespaces],
            gateways: [...r.gateways],
            ...(r.upgradedFrom ? { upgradedFrom: r.upgradedFrom } : {}),
        }])));
        dataField(this, "meshState", facts.state);
        this.registerOutputs({ revisions: this.revisions, upgradePlan: this.upgradePlan, meshState: this.meshState });
    }
}
