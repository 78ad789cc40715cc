/**
 * The ztunnel step the `ztunnel-rollout` Command runs (`main`, through tools/build/step.js) after ztunnel's chart is
 * applied: node by node (or nodesAtOnce at a time), optionally cordon and drain the node (kubectl drain: the Eviction
 * API, PodDisruptionBudgets respected), replace its ztunnel pod (the DaemonSet is OnDelete), wait until the new pod is
 * Ready, uncordon, pause, next. With `rolling` it replaces nothing and waits for each node's pod, so what follows
 * ztunnel in Istio's order (the tags, waypoints, gateways) waits until every node runs it.
 *
 * Each batch is decided on a fresh observation (model/ambient/nodes.ts): a node already on target is never touched
 * again, and a node an interrupted step left cordoned (CORDONED_BY_ANNOTATION) is finished first. A failure names
 * the node, the pods and the nodes left cordoned.
 *
 * Environment: ZTUNNEL_NAMESPACE, ZTUNNEL_TARGET (the configuration's digest), ZTUNNEL_VERSION, ZTUNNEL_ROLLOUT
 * (nodeByNode | rolling), NODES_AT_ONCE, CORDON, DRAIN, DRAIN_TIMEOUT, READY_TIMEOUT, PAUSE; KUBECONFIG /
 * KUBE_CONTEXT / KUBE_REQUEST_TIMEOUT as for every step. stdin: the program's request (the nodes it expected to
 * take, for the preview's diff; the step decides again).
 */
import * as fs from "fs";
import { DEFAULT_ISTIO_NAMESPACE, ZTUNNEL_APP, ZTUNNEL_DAEMONSET } from "../istio";
import { CORDONED_BY_ANNOTATION, NodeAction, NodeSettings, observeNodes, planNodes } from "../model/ambient/nodes";
import { parseDuration } from "../model/duration";
import type { KubeObject } from "../model/rollout";
import { REAL_CLOCK } from "./gateStep";
import { Kubectl, KubectlError, TO_PROJECT_ROOT } from "./kubectl";
import { exitStep } from "./stepExit";

export const ZTUNNEL_STEP_COMMAND = `${TO_PROJECT_ROOT} && exec node tools/build/step.js components/ztunnelStep`;

/** What the step does to the cluster: kubectl in `main`, an in-memory cluster in the tests. */
export interface ZtunnelCluster {
    /** ztunnel's DaemonSet. */
    daemonSet(): KubeObject;
    nodes(): KubeObject[];
    ztunnelPods(): KubeObject[];
    /** Cordons the node and marks it as the program's, in one patch. */
    cordon(node: string, target: string): void;
    /** Uncordons the node and removes the mark, in one patch. */
    uncordon(node: string): void;
    /** Evicts the node's pods (DaemonSets' aside), PodDisruptionBudgets respected; a failure names the pods left. */
    drain(node: string, timeout: string): { ok: true } | { ok: false; pods: string[]; detail: string };
    deletePod(name: string): void;
}

export interface ZtunnelStepSettings extends NodeSettings {
    readonly target: string;
    readonly version: string;
    readonly nodesAtOnce: number;
    readonly drainTimeout: string;
    readonly readyTimeoutMs: number;
    readonly readyTimeout: string;
    readonly pauseMs: number;
}

export function ztunnelStepSettings(env: NodeJS.ProcessEnv): ZtunnelStepSettings {
    const duration = (name: string, fallback: string, zero = false) => {
        const text = env[name] || fallback;
        const ms = parseDuration(text, { zero });
        if (ms === undefined) {
            throw new Error(`${name} "${text}" is not a duration: write e.g. 30s or 5m`);
        }
        return { text, ms };
    };
    if (!env.ZTUNNEL_TARGET || !env.ZTUNNEL_VERSION) {
        throw new Error("ZTUNNEL_TARGET and ZTUNNEL_VERSION are required (the program sets them)");
    }
    const ready = duration("READY_TIMEOUT", "5m");
    return {
        target: env.ZTUNNEL_TARGET, version: env.ZTUNNEL_VERSION,
        replace: env.ZTUNNEL_ROLLOUT !== "rolling",
        cordon: env.CORDON === "true", drain: env.DRAIN === "true",
        nodesAtOnce: Math.max(1, Number(env.NODES_AT_ONCE ?? "1") || 1),
        drainTimeout: duration("DRAIN_TIMEOUT", "5m").text,
        readyTimeout: ready.text, readyTimeoutMs: ready.ms,
        pauseMs: duration("PAUSE", "0s", true).ms,
    };
}

export class ZtunnelStepError extends Error {}

interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

/** How often a node's new pod is looked for while it is awaited. */
const POLL_MS = 1000;

/**
 * Runs the step: every node onto `settings.target`, batch by batch. Throws ZtunnelStepError on the first failure,
 * naming the node, what failed and the nodes left cordoned by the program (the next `up` finishes them first).
 */
export async function runZtunnelStep(settings: ZtunnelStepSettings, cluster: ZtunnelCluster, log: (line: string) => void, clock: Clock): Promise<void> {
    const observe = () => observeNodes(cluster.nodes(), cluster.ztunnelPods(), settings.target);
    await scheduled(settings, cluster, clock);
    let states = observe();
    let plan = planNodes(states, settings, settings.nodesAtOnce);
    if (plan.batches.length === 0) {
        log(`ztunnel ${settings.version}: every node runs it (${states.length} node(s))`);
        return;
    }
    log(`ztunnel -> ${settings.version} (${settings.replace ? "node by node" : "rolling"}, ${settings.nodesAtOnce} at a time` +
        `${settings.cordon ? ", cordon" : ""}${settings.drain ? ", drain" : ""}): ${plan.batches.flat().length} node(s) to take, ${plan.done.length} already on it`);
    const touched = new Set<string>();
    for (let i = 0; ; i++) {
        // Decided again before each batch: what an earlier batch, or someone else, changed since is taken into account.
        const batch = plan.batches.flat().filter(n => !touched.has(n)).slice(0, settings.nodesAtOnce);
        if (batch.length === 0) {
            break;
        }
        const byName = new Map(states.map(s => [s.name, s]));
        const step = (action: NodeAction) => batch.filter(n => plan.actions[n].includes(action));
        const cordoned = () => observeNodes(cluster.nodes(), [], settings.target).filter(n => n.cordonedByUs).map(n => n.name);
        const fail = (node: string, what: string): never => {
            const left = cordoned();
            throw new ZtunnelStepError(`istio-mesh: ztunnel on node ${node}: ${what}\n` +
                (left.length ? `Left cordoned by istio-mesh (annotation ${CORDONED_BY_ANNOTATION}): ${left.join(", ")}: the next 'pulumi up' finishes ${left.length === 1 ? "it" : "them"} first ` +
                    `(or uncordon by hand: kubectl uncordon <node>). ` : "") +
                `Nodes already on ztunnel ${settings.version} are not touched again.`);
        };
        batch.forEach(n => touched.add(n));
        log(`batch ${i + 1}: ${batch.map(n => `${n} (ztunnel ${byName.get(n)?.pod?.version ?? "none"} -> ${settings.version})`).join(", ")}`);
        try {
            for (const node of step("cordon")) {
                cluster.cordon(node, settings.target);
                log(`  ${node}: cordoned`);
            }
            for (const node of step("drain")) {
                const drained = cluster.drain(node, settings.drainTimeout);
                if (!drained.ok) {
                    fail(node, `the drain did not finish within ${settings.drainTimeout} (istio-mesh:ambient.ztunnel.drainTimeout); pods left: ` +
                        `${drained.pods.join(", ") || "(none listed)"}. ${drained.detail.trim()}\nCheck their PodDisruptionBudgets ` +
                        `(kubectl get pdb -A) or raise istio-mesh:ambient.ztunnel.drainTimeout; ztunnel on this node was not replaced.`);
                }
                log(`  ${node}: drained`);
            }
            for (const node of step("replace")) {
                const pod = byName.get(node)!.pod!;
                cluster.deletePod(pod.name);
                log(`  ${node}: ztunnel pod ${pod.name} (${pod.version ?? "unknown version"}) deleted`);
            }
            const awaiting = new Set(step("await"));
            const since = clock.now();
            while (awaiting.size > 0) {
                const now = observe();
                for (const s of now.filter(n => awaiting.has(n.name) && n.onTarget)) {
                    awaiting.delete(s.name);
                    log(`  ${s.name}: ztunnel ${s.pod?.version ?? settings.version} Ready (${s.pod?.name}) after ${Math.round((clock.now() - since) / 1000)}s`);
                }
                if (awaiting.size === 0) {
                    break;
                }
                if (clock.now() - since >= settings.readyTimeoutMs) {
                    const pending = [...awaiting].map(n => {
                        const s = now.find(x => x.name === n);
                        return `${n} (${s?.pod ? `pod ${s.pod.name}${s.pod.ready ? "" : " not Ready"}${s.pod.config !== settings.target ? ", old configuration" : ""}` : "no ztunnel pod"})`;
                    });
                    fail(pending[0].split(" ")[0], `no Ready ztunnel ${settings.version} within ${settings.readyTimeout} (istio-mesh:ambient.ztunnel.readyTimeout): ${pending.join(", ")}. ` +
                        `Check kubectl -n <istio namespace> get pods -l app=${ZTUNNEL_APP} -o wide and the DaemonSet's events.`);
                }
                await clock.sleep(POLL_MS);
            }
            for (const node of step("uncordon")) {
                cluster.uncordon(node);
                log(`  ${node}: uncordoned`);
            }
        } catch (e) {
            if (e instanceof ZtunnelStepError) {
                throw e;
            }
            fail(batch.join(", "), e instanceof KubectlError ? e.message : String(e));
        }
        states = observe();
        plan = planNodes(states, settings, settings.nodesAtOnce);
        if (plan.batches.length > 0 && settings.pauseMs > 0) {
            log(`pausing ${settings.pauseMs / 1000}s before the next node`);
            await clock.sleep(settings.pauseMs);
        }
    }
    const stillCordoned = observeNodes(cluster.nodes(), [], settings.target).filter(n => n.cordonedByUs).map(n => n.name);
    log(`ztunnel ${settings.version} on every node${stillCordoned.length ? `; still cordoned by istio-mesh: ${stillCordoned.join(", ")}` : ""}`);
}

/**
 * Waits until the DaemonSet controller has seen the chart's change and has a pod on every node it schedules to (a new
 * install, or a node whose pod was just deleted): a node without a pod would otherwise not count as ztunnel's.
 */
async function scheduled(settings: ZtunnelStepSettings, cluster: ZtunnelCluster, clock: Clock): Promise<void> {
    const since = clock.now();
    for (;;) {
        const ds = cluster.daemonSet();
        const nodes = new Set(cluster.ztunnelPods().filter(p => !p.metadata.deletionTimestamp && p.spec?.nodeName).map(p => p.spec.nodeName));
        const desired = ds.status?.desiredNumberScheduled ?? 0;
        if ((ds.status?.observedGeneration ?? 0) >= (ds.metadata.generation ?? 0) && nodes.size >= desired) {
            return;
        }
        if (clock.now() - since >= settings.readyTimeoutMs) {
            throw new ZtunnelStepError(`istio-mesh: ztunnel's DaemonSet has pods on ${nodes.size} of the ${desired} nodes it schedules to after ${settings.readyTimeout} ` +
                "(istio-mesh:ambient.ztunnel.readyTimeout); no node was touched. Check kubectl -n <istio namespace> describe daemonset ztunnel and its events.");
        }
        await clock.sleep(POLL_MS);
    }
}

/** The step's cluster through kubectl: the nodes, ztunnel's pods in `namespace`, and the four writes. */
export function kubectlZtunnelCluster(kubectl: Kubectl, namespace: string): ZtunnelCluster {
    const patchNode = (node: string, patch: object) => kubectl.run(["patch", "node", node, "--type=merge", "-p", JSON.stringify(patch)]);
    return {
        daemonSet: () => kubectl.json(["get", "daemonset", ZTUNNEL_DAEMONSET], namespace),
        nodes: () => kubectl.json(["get", "nodes"]).items,
        ztunnelPods: () => kubectl.json(["get", "pods", "-l", `app=${ZTUNNEL_APP}`], namespace).items,
        cordon: (node, target) => patchNode(node, { metadata: { annotations: { [CORDONED_BY_ANNOTATION]: target } }, spec: { unschedulable: true } }),
        uncordon: node => patchNode(node, { metadata: { annotations: { [CORDONED_BY_ANNOTATION]: null } }, spec: { unschedulable: null } }),
        drain: (node, timeout) => {
            try {
                // kubectl drain evicts through the Eviction API and retries a PodDisruptionBudget's refusal until its timeout;
                // without --force it refuses pods no controller would re-create, naming them, rather than delete them.
                kubectl.run(["drain", node, "--ignore-daemonsets", "--delete-emptydir-data", `--timeout=${timeout}`]);
                return { ok: true };
            } catch (e) {
                const left = kubectl.json(["get", "pods", "-A", "--field-selector", `spec.nodeName=${node},status.phase!=Succeeded,status.phase!=Failed`]).items
                    .filter((p: KubeObject) => !(p.metadata.ownerReferences ?? []).some(r => r.kind === "DaemonSet"))
                    .map((p: KubeObject) => `${p.metadata.namespace}/${p.metadata.name}`);
                return { ok: false, pods: left, detail: e instanceof Error ? e.message.split("\n").slice(-3).join(" ") : String(e) };
            }
        },
        deletePod: name => kubectl.run(["delete", "pod", name, "--wait=false"], namespace),
    };
}

/** The step as a process; exits 1 with the error on stderr. */
export function main(): void {
    const log = (line: string) => process.stdout.write(`${line}\n`);
    fs.readFileSync(0, "utf8"); // the request: for the preview's diff only
    const kubectl = new Kubectl(process.env);
    Promise.resolve()
        .then(() => runZtunnelStep(ztunnelStepSettings(process.env), kubectlZtunnelCluster(kubectl, process.env.ZTUNNEL_NAMESPACE || DEFAULT_ISTIO_NAMESPACE), log, REAL_CLOCK))
        .then(() => exitStep(0), e => exitStep(1, `${e instanceof Error ? e.message : e}`));
}
