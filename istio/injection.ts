/**
 * What a pod says about its sidecar: which revision injected it and which proxy version it runs. Pure, shared by
 * the program's restart decision, `npm run plan` and the e2e harness, so they all read pods the same way.
 * Sources: Istio's injector (pkg/kube/inject: the `sidecar.istio.io/status` annotation it writes, with the
 * injecting revision in `revision`), and the injection template (since 1.27 with native sidecars `istio-proxy`
 * is an init container with restartPolicy Always; injected pods carry no `istio.io/rev` label).
 */
import { imageVersion, INJECT_LABEL, PROXY_CONTAINER } from "./images";
import { DEFAULT_TAG, INJECTION_LABEL, REV_LABEL } from "./names";

/** Annotation the injector writes on every pod it injects (JSON; `revision` names the injecting revision). */
export const SIDECAR_STATUS_ANNOTATION = "sidecar.istio.io/status";

/**
 * Pod-template annotation istio-mesh writes on a workload when it rolls it onto a revision, "<revision>@<version>".
 * The same patch triggers the rollout, so the record and the restart cannot part.
 */
export const ROLLED_ONTO_ANNOTATION = "istio-mesh.dev/rolled-onto";

/**
 * Pod-template annotation written beside ROLLED_ONTO_ANNOTATION by every restart, the time of the restart: the
 * template may already hold the record (a hand relabel and `kubectl rollout restart` keep it), and a patch that
 * changes nothing rolls nothing.
 */
export const RESTARTED_AT_ANNOTATION = "istio-mesh.dev/restarted-at";

/** The minimal shape of a pod (or pod template) read here. */
export interface PodLike {
    readonly metadata?: {
        readonly name?: string;
        readonly namespace?: string;
        readonly labels?: Readonly<Record<string, string>>;
        readonly annotations?: Readonly<Record<string, string>>;
    };
    readonly spec?: {
        readonly containers?: readonly { readonly name: string; readonly image?: string }[];
        readonly initContainers?: readonly { readonly name: string; readonly image?: string }[];
    };
}

/** What runs as a pod's sidecar. */
export interface PodProxy {
    /** True when the pod has an `istio-proxy` container or the injector's status annotation. */
    readonly injected: boolean;
    /** The revision that injected the pod (status annotation, else an explicit `istio.io/rev` pod label). */
    readonly revision?: string;
    /** The Istio version of the `istio-proxy` image, when its tag is a version. */
    readonly version?: string;
}

/** The revision named by a `sidecar.istio.io/status` value; undefined when absent or not the injector's JSON. */
export function statusRevision(status: string | undefined): string | undefined {
    if (!status) {
        return undefined;
    }
    try {
        const parsed = JSON.parse(status);
        return typeof parsed?.revision === "string" && parsed.revision !== "" ? parsed.revision : undefined;
    } catch {
        return undefined;
    }
}

/** The `istio-proxy` container of a pod: a native sidecar (init container) or a classic one. */
function proxyContainer(pod: PodLike): { image?: string } | undefined {
    return pod.spec?.initContainers?.find(c => c.name === PROXY_CONTAINER) ?? pod.spec?.containers?.find(c => c.name === PROXY_CONTAINER);
}

/** Which revision injected a pod and which proxy version it runs. */
export function podProxy(pod: PodLike): PodProxy {
    const status = pod.metadata?.annotations?.[SIDECAR_STATUS_ANNOTATION];
    const container = proxyContainer(pod);
    const revision = statusRevision(status) ?? (container ? pod.metadata?.labels?.[REV_LABEL] : undefined);
    const version = container?.image ? imageVersion(container.image) : undefined;
    return {
        injected: container !== undefined || status !== undefined,
        ...(revision ? { revision } : {}),
        ...(version ? { version } : {}),
    };
}

/** True when a pod (or template) opts out of injection with `sidecar.istio.io/inject: "false"` (label or annotation). */
export function optsOutOfInjection(pod: PodLike): boolean {
    return pod.metadata?.labels?.[INJECT_LABEL] === "false" || pod.metadata?.annotations?.[INJECT_LABEL] === "false";
}

/**
 * The revision or tag whose webhook Istio's API server call would send a new pod to, from the labels alone, as the
 * selectors of the istiod chart's webhooks match them (the injector reads annotations only once called): a pod
 * labelled `sidecar.istio.io/inject=false` is matched by none; a namespace's own labels win over the pod's
 * (`istio-injection=enabled`: the `default` tag; any other `istio-injection` value: none; `istio.io/rev=X`: X); only a
 * namespace with neither lets the pod choose (`istio.io/rev=X`: X; `sidecar.istio.io/inject=true`: the `default` tag).
 * Undefined: no injection webhook is called.
 */
export function webhookTarget(namespaceLabels: Readonly<Record<string, string>> | undefined,
                              podLabels: Readonly<Record<string, string>> | undefined): string | undefined {
    const ns = namespaceLabels ?? {};
    const pod = podLabels ?? {};
    if (pod[INJECT_LABEL] === "false") {
        return undefined;
    }
    if (ns[INJECTION_LABEL] !== undefined) {
        return ns[INJECTION_LABEL] === "enabled" ? DEFAULT_TAG : undefined;
    }
    if (ns[REV_LABEL] !== undefined) {
        return ns[REV_LABEL];
    }
    if (pod[REV_LABEL] !== undefined) {
        return pod[REV_LABEL];
    }
    return pod[INJECT_LABEL] === "true" ? DEFAULT_TAG : undefined;
}

/** The value of ROLLED_ONTO_ANNOTATION for a revision and version. */
export function rolledOntoValue(revision: string, version: string): string {
    return `${revision}@${version}`;
}
