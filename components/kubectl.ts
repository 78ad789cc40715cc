/**
 * The kubectl scripts the program runs through @pulumi/command, and the environment that points them at the
 * cluster the Kubernetes provider uses. Scripts read their parameters from the environment so the script text
 * stays the same and a change of revision shows in the preview as a change of `environment`.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL, REV_LABEL, INJECTION_LABEL, SIDECAR_STATUS_ANNOTATION, ZTUNNEL_APP } from "../istio";
import { DEFAULTS } from "../model/config/defaults";
import { parseDuration } from "../model/duration";
import { OBSERVED_KINDS, OBSERVED_RESOURCES, KubeObject, Observation } from "../model/rollout";

export interface ClusterAccess {
    /** Path to a kubeconfig file (the provider's `kubeconfig`); the ambient KUBECONFIG when unset. */
    kubeconfig?: string;
    /** kubeconfig context (the provider's `context`). */
    context?: string;
    /** kubectl duration each API request (and each read of the program) may take; DEFAULTS.requestTimeout when unset. */
    requestTimeout?: string;
}

/** The config key of the request timeout, named by every error it causes. */
const REQUEST_TIMEOUT_KEY = "istio-mesh:kubernetes.requestTimeout";

/** Environment variables that make the scripts below use the same cluster as the provider, with its request timeout. */
export function clusterEnvironment(access: ClusterAccess): Record<string, string> {
    const env: Record<string, string> = {};
    if (access.kubeconfig) {
        env.KUBECONFIG = access.kubeconfig;
    }
    if (access.context) {
        env.KUBE_CONTEXT = access.context;
    }
    env.KUBE_REQUEST_TIMEOUT = access.requestTimeout ?? DEFAULTS.requestTimeout;
    return env;
}

// Every kubectl call of the steps bounds each API request: one the API server (or a stalled connection) never answers
// would otherwise hang the step. (`kubectl wait` and `rollout status` keep their own --timeout for the whole wait.)
const PRELUDE = `set -euo pipefail
k() { kubectl \${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} --request-timeout="\${KUBE_REQUEST_TIMEOUT:-${DEFAULTS.requestTimeout}}" "$@"; }
`;

/**
 * Changes to the project's root (where Pulumi.yaml is), whatever directory `pulumi` runs in: the program writes its
 * files there, and the Command provider runs scripts in the directory it was started in.
 */
export const TO_PROJECT_ROOT = `d=$PWD; while [ ! -f "$d/Pulumi.yaml" ] && [ "$d" != / ]; do d=$(dirname "$d"); done
cd "$d"`;

/** Where the program writes the CRDs of a version for the `crds` step, relative to the project's root (git-ignored). */
export function crdFile(version: string, digest: string): string {
    return `.istio-mesh/crds/${version}-${digest}.yaml`;
}

/**
 * A script that applies the CRD bundle `file` with server-side apply, taking over fields another manager set (a
 * chart, an installer, an earlier program), then waits until its CRDs are Established (`wait`: kubectl wait's
 * targets, `waitShown` as its errors show them), so no istiod starts before they serve. `what` names the bundle,
 * `done` is the last line. Never deletes a CRD: that would delete every object of its kind.
 */
function crdApplyScript(file: string, what: string, wait: string, waitShown: string, done: string, setup = ""): string {
    return `${PRELUDE}${TO_PROJECT_ROOT}
file="${file}"
${setup}if [ ! -f "$file" ]; then
  echo "istio-mesh: $PWD/$file (${what}) is missing: the program writes it on every run." >&2
  echo "Run 'pulumi up' again from this project; nothing was applied." >&2
  exit 1
fi
if ! out=$(k apply --server-side --force-conflicts --field-manager=istio-mesh -f "$file" 2>&1); then
  echo "istio-mesh: applying ${what} failed (kubectl apply --server-side -f $file):" >&2
  printf '%s\n' "$out" | sed 's/^/  /' >&2
  echo "No control plane was changed (they wait for the CRDs). Check access to CRDs (kubectl auth can-i patch customresourcedefinitions), then run 'pulumi up' again." >&2
  exit 1
fi
if ! wait_out=$(k wait --for=condition=Established --timeout=2m ${wait} 2>&1); then
  echo "istio-mesh: ${what} were applied but are not Established after 2m (kubectl wait --for=condition=Established ${waitShown}):" >&2
  printf '%s\n' "$wait_out" | sed 's/^/  /' >&2
  echo "No control plane was changed. See why in each CRD's status.conditions (kubectl get crd <name> -o yaml), then run 'pulumi up' again." >&2
  exit 1
fi
echo "${done}"
`;
}

/** Applies the CRDs of $CRDS_VERSION (the file the program wrote, named by their digest $CRDS_DIGEST). */
export const CRDS_APPLY_SCRIPT = crdApplyScript(crdFile("$CRDS_VERSION", "$CRDS_DIGEST"), "the CRDs of Istio $CRDS_VERSION", `-f "$file"`, "-f $file",
    "CRDs of Istio $CRDS_VERSION applied and established ($CRDS_COUNT, digest $CRDS_DIGEST)");

/** Where the program writes a Gateway API release's bundle for the `gateway-api-crds` step (beside Istio's CRDs). */
export function gatewayApiCrdFile(version: string, channel: string, digest: string): string {
    return crdFile(`gateway-api-${version}-${channel}`, digest);
}

/**
 * Applies the Gateway API bundle of $GATEWAY_API_VERSION and $GATEWAY_API_CHANNEL (named by its digest $CRDS_DIGEST)
 * as the Istio CRDs are, and waits for each CRD of $CRDS (space-separated; the bundle also holds an admission policy).
 */
export const GATEWAY_API_CRDS_APPLY_SCRIPT = crdApplyScript(gatewayApiCrdFile("$GATEWAY_API_VERSION", "$GATEWAY_API_CHANNEL", "$CRDS_DIGEST"),
    "the Gateway API $GATEWAY_API_VERSION CRDs ($GATEWAY_API_CHANNEL channel)", `"\${crds[@]}"`, "$CRDS",
    "Gateway API $GATEWAY_API_VERSION CRDs ($GATEWAY_API_CHANNEL channel) applied and established (\${#crds[@]} CRDs, digest $CRDS_DIGEST)",
    `crds=()\nfor name in $CRDS; do crds+=("crd/$name"); done\n`);

/**
 * Waits until istiod-$REVISION has (re)deployed the Gateway $NAMESPACE/$GATEWAY: its Deployment $DEPLOYMENT (which
 * istiod names and writes, never the program) carries the revision in its pods' istio.io/rev annotation and the
 * proxy image tag $PROXY_TAG, then until that Deployment has rolled out, all within $TIMEOUT ($TIMEOUT_SECONDS); then
 * pauses $PAUSE_SECONDS (the rollout's pause between waves, before the next wave's gateways move).
 */
export const GATEWAY_ROLLOUT_SCRIPT = `${PRELUDE}
deadline=$((SECONDS + TIMEOUT_SECONDS))
what="gateway $NAMESPACE/$GATEWAY (Deployment $DEPLOYMENT)"
while :; do
  seen=$(k -n "$NAMESPACE" get deployment "$DEPLOYMENT" --ignore-not-found \
    -o jsonpath='{.spec.template.metadata.annotations.istio\.io/rev} {.spec.template.spec.containers[?(@.name=="istio-proxy")].image}' 2>&1) || true
  rev=\${seen%% *}
  image=\${seen#* }
  if [ "$rev" = "$REVISION" ] && [[ $image == *":$PROXY_TAG" ]]; then break; fi
  if (( SECONDS >= deadline )); then
    echo "istio-mesh: istiod-$REVISION did not deploy $what within $TIMEOUT: its pods run revision '\${rev:-none}' with image '\${image:-none}', not $REVISION with tag $PROXY_TAG." >&2
    echo "Check that istiod-$REVISION runs (kubectl -n $ISTIO_NAMESPACE get pods -l istio.io/rev=$REVISION) and the Gateway's status (kubectl -n $NAMESPACE describe gateway $GATEWAY); then run 'pulumi up' again." >&2
    exit 1
  fi
  sleep 2
done
left=$((deadline - SECONDS)); (( left > 0 )) || left=1
if ! out=$(k -n "$NAMESPACE" rollout status "deployment/$DEPLOYMENT" --timeout="\${left}s" 2>&1); then
  echo "istio-mesh: $what, deployed by istiod-$REVISION, did not roll out within $TIMEOUT:" >&2
  printf '%s\n' "$out" | sed 's/^/  /' >&2
  echo "Its next gateways were not moved. See its pods (kubectl -n $NAMESPACE get pods -l gateway.networking.k8s.io/gateway-name=$GATEWAY); revert its revision in istio-mesh:gatewayApi to move it back, then run 'pulumi up'." >&2
  exit 1
fi
echo "$what rolled out from istiod-$REVISION"
if [ "\${PAUSE_SECONDS:-0}" -gt 0 ]; then sleep "$PAUSE_SECONDS"; fi
`;

/** Where every run of the program writes the cluster access it used, relative to the project's root (git-ignored). */
export function clusterAccessFile(stack: string): string {
    return `.istio-mesh/access/${stack}`;
}

/**
 * For the steps that run when their resource is deleted, with the inputs of the `up` that last updated it (a guard, a
 * label given back): the cluster access of the latest run of the program in this project ($CLUSTER_ACCESS_FILE, under
 * the project's root: the kubeconfig path on its first line, the context on its second), in place of the recorded one.
 * A kubeconfig moved to a new path since that `up` (a CI job's temporary file) is followed; without the file (a
 * `pulumi destroy` in a fresh checkout) the recorded access and then the ambient KUBECONFIG are used.
 */
const CURRENT_ACCESS = `d=$PWD; while [ ! -f "$d/Pulumi.yaml" ] && [ "$d" != / ]; do d=$(dirname "$d"); done
if [ -n "\${CLUSTER_ACCESS_FILE:-}" ] && [ -f "$d/$CLUSTER_ACCESS_FILE" ]; then
  { IFS= read -r access_kubeconfig || true; IFS= read -r access_context || true; } < "$d/$CLUSTER_ACCESS_FILE"
  if [ -n "$access_kubeconfig" ]; then export KUBECONFIG="$access_kubeconfig"; else unset KUBECONFIG; fi
  KUBE_CONTEXT="$access_context"
fi
`;

/**
 * Refuses (exit 1, naming the pods) while any pod that is not finished was injected by $REVISION (the revision in
 * its ${SIDECAR_STATUS_ANNOTATION} annotation; injected pods carry no ${REV_LABEL} label) or carries
 * ${REV_LABEL}=$REVISION (gateways, older injectors), istiod's own pods aside. Runs before the revision's istiod is
 * deleted: the second line behind the program's own refusal (model/retirement.ts), for a `pulumi destroy`, which runs
 * no program, and for pods that appeared between the preview and the delete. DECOMMISSION=true (istio-mesh:decommission,
 * recorded by the `up` that prepares a teardown) lets it pass.
 */
export const RETIREMENT_GUARD_SCRIPT = `${PRELUDE}${CURRENT_ACCESS}
if [ "\${DECOMMISSION:-}" = "true" ]; then
  echo "retirement guard of revision $REVISION: passes (istio-mesh:decommission is set: the mesh is being torn down on purpose)"
  exit 0
fi
listing=$(k get pods -A -l "app!=istiod" \\
  --field-selector=status.phase!=Succeeded,status.phase!=Failed \\
  -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\t"}{.metadata.labels.istio\\.io/rev}{"\\t"}{.metadata.annotations.sidecar\\.istio\\.io/status}{"\\n"}{end}') || {
  echo "istio-mesh: listing pods to check that revision $REVISION serves none failed (kubectl get pods -A); its istiod is kept." >&2
  exit 1
}
pods=$(printf '%s\\n' "$listing" | awk -F '\\t' -v rev="$REVISION" '$1 != "" && ($2 == rev || index($3, "\\"revision\\":\\"" rev "\\"") > 0) { print $1 }')
if [ -n "$pods" ]; then
  count=$(printf '%s\\n' "$pods" | wc -l)
  echo "istio-mesh: revision $REVISION still serves $count running pod(s), so its istiod is not deleted:" >&2
  printf '%s\\n' "$pods" | head -20 | sed 's/^/  /' >&2
  echo "Move their namespaces to another revision in istio-mesh:namespaces and let them restart, then run 'pulumi up' again." >&2
  echo "To tear the whole mesh down on purpose, set istio-mesh:decommission to true and run 'pulumi up' before 'pulumi destroy' (README, Safety)." >&2
  exit 1
fi
echo "revision $REVISION serves no running pods: retiring it"
`;

/**
 * Before any namespace is labelled: every namespace named on stdin (one a line) must exist, since the program
 * labels existing application namespaces and never creates them. One kubectl call (the cluster's namespaces)
 * whatever their number; the list goes by stdin, as an environment variable holds 128 KiB at most.
 */
export const NAMESPACE_PREFLIGHT_SCRIPT = `${PRELUDE}
mapfile -t namespaces < <(grep -v '^$' || true)
[ \${#namespaces[@]} -gt 0 ] || exit 0
found=$(k get namespaces -o name | sed 's#^namespace/##')
missing=$(printf '%s\\n' "\${namespaces[@]}" | grep -vxF -f <(printf '%s\\n' "$found") || true)
if [ -n "$missing" ]; then
  echo "istio-mesh: these namespaces do not exist: $(printf '%s\\n' "$missing" | head -50 | paste -sd ' ')." >&2
  echo "istio-mesh labels existing application namespaces and never creates them: create them, or remove them from istio-mesh:namespaces." >&2
  exit 1
fi
echo "\${#namespaces[@]} namespaces exist"
`;

/**
 * What the legacy-label scripts share: the request on stdin (model/facts.ts legacyInjectionStep: "hold <namespace>
 * <value>" for each label the program holds, "give-back <namespace> <value>" for each it gives back in this step), the
 * cluster's namespaces with their two labels (one read), and `give_back KIND`, which sets the label back on the request's
 * namespaces of that kind that still exist. Namespaces are labelled many at a time (xargs), whatever their number.
 */
const LEGACY_INJECTION_PRELUDE = `${PRELUDE}${CURRENT_ACCESS}
export -f k
export KUBE_CONTEXT="\${KUBE_CONTEXT:-}"
request=$(cat)
# "|" separates the fields: it is in no name or label value, and unlike a tab two in a row are not read as one.
if ! listing=$(k get namespaces -o jsonpath='{range .items[*]}{.metadata.name}{"|"}{.metadata.labels.istio\\.io/rev}{"|"}{.metadata.labels.${INJECTION_LABEL}}{"|"}{.metadata.labels.istio\\.io/dataplane-mode}{"\\n"}{end}' 2>&1); then
  echo "istio-mesh: listing the namespaces for their ${INJECTION_LABEL} labels failed (kubectl get namespaces): $listing" >&2
  echo "No label was changed. Run 'pulumi up' again once kubectl reaches the cluster." >&2
  exit 1
fi
declare -A exists=() revision=() legacy=() mode=()
while IFS='|' read -r name rev value dataplane; do
  [ -n "$name" ] || continue
  exists[$name]=1; revision[$name]=$rev; legacy[$name]=$value; mode[$name]=$dataplane
done <<< "$listing"
give_back() {
  local kind ns value
  declare -A by_value=()
  while read -r kind ns value; do
    [ "$kind" = "$1" ] && [ -n "$value" ] && [ -n "\${exists[$ns]:-}" ] && [ "\${legacy[$ns]:-}" != "$value" ] || continue
    by_value[$value]+="$ns "
  done <<< "$request"
  for value in "\${!by_value[@]}"; do
    if ! out=$(printf '%s\\n' \${by_value[$value]} | xargs -r bash -c 'k label namespace "$@" --overwrite ${INJECTION_LABEL}='"$value" _ 2>&1); then
      echo "istio-mesh: giving ${INJECTION_LABEL}=$value back to namespaces \${by_value[$value]}failed:" >&2
      printf '%s\\n' "$out" | sed 's/^/  /' >&2
      exit 1
    fi
    echo "${INJECTION_LABEL}=$value given back to namespaces: \${by_value[$value]}"
  done
}
`;

/**
 * Removes the legacy ${INJECTION_LABEL} label of the bound namespaces the program holds it for (it would override the
 * revision label; maintainers: never set both), after every namespace's patch, so after their control planes and tags
 * are ready, and only from namespaces read with ${REV_LABEL} set: none is left without a label that injects it. First
 * it gives back the labels of the namespaces that leave the config in this step, before their patches remove
 * ${REV_LABEL}. The program records what it removed (meshState.legacyInjection and this step's request).
 */
export const LEGACY_INJECTION_APPLY_SCRIPT = `${LEGACY_INJECTION_PRELUDE}give_back give-back
unlabelled=() removing=()
while read -r kind ns value; do
  [ "$kind" = hold ] && [ -n "\${legacy[$ns]:-}" ] || continue  # "again" lines only make the step run
  # An ambient namespace (${DATAPLANE_MODE_LABEL}=${AMBIENT_MODE}) needs no revision label: its pods run without sidecars.
  if [ -z "\${revision[$ns]:-}" ] && [ "\${mode[$ns]:-}" != ${AMBIENT_MODE} ]; then unlabelled+=("$ns"); else removing+=("$ns"); fi
done <<< "$request"
if [ \${#unlabelled[@]} -gt 0 ]; then
  echo "istio-mesh: namespaces \${unlabelled[*]} have no ${REV_LABEL} label, so their ${INJECTION_LABEL} label is kept (their pods would get no sidecar); no label was removed. Run 'pulumi up' again." >&2
  exit 1
fi
if [ \${#removing[@]} -gt 0 ]; then
  if ! out=$(printf '%s\\n' "\${removing[@]}" | xargs -r bash -c 'k label namespace "$@" ${INJECTION_LABEL}-' _ 2>&1); then
    echo "istio-mesh: removing the ${INJECTION_LABEL} label of namespaces \${removing[*]} failed (kubectl label namespace ... ${INJECTION_LABEL}-):" >&2
    printf '%s\\n' "$out" | sed 's/^/  /' >&2
    echo "Their pods are still injected through ${INJECTION_LABEL}. Check access (kubectl auth can-i patch namespaces), then run 'pulumi up' again." >&2
    exit 1
  fi
  echo "${INJECTION_LABEL} removed from namespaces (${REV_LABEL} injects them now; given back when they leave istio-mesh:namespaces or the mesh is torn down): \${removing[*]}"
fi
echo "${INJECTION_LABEL}: held for $(grep -c '^hold ' <<< "$request" || true) namespace(s)"
`;

/**
 * Gives back every ${INJECTION_LABEL} label the program holds, when the step is deleted (the mesh torn down, or the last
 * namespace that had one released), before the namespaces' patches remove ${REV_LABEL}: pods created afterwards are
 * injected as before the program bound them. A namespace deleted meanwhile needs nothing.
 */
export const LEGACY_INJECTION_RESTORE_SCRIPT = `${LEGACY_INJECTION_PRELUDE}give_back hold
`;

/** A kubectl call that failed: the message names the command, the namespace and what kubectl said. */
export class KubectlError extends Error {
    constructor(readonly args: readonly string[], readonly namespace: string | undefined, detail: string) {
        super(`kubectl ${args.join(" ")} failed${namespace ? ` (namespace ${namespace})` : ""}: ${detail.trim() || "no output"}`);
        this.name = "KubectlError";
    }
}

/** The request timeout as kubectl takes it and in milliseconds; a bad one (a hand-set variable) names the variable. */
function requestTimeout(env: Readonly<Record<string, string | undefined>>): { text: string; ms: number } {
    const text = env.KUBE_REQUEST_TIMEOUT || DEFAULTS.requestTimeout;
    const ms = parseDuration(text);
    if (ms === undefined) {
        throw new Error(`KUBE_REQUEST_TIMEOUT "${text}" (${REQUEST_TIMEOUT_KEY}) is not a positive duration: write e.g. 30s or 1m`);
    }
    return { text, ms };
}

/** Runs kubectl against the provider's cluster; every failure throws a KubectlError, never returns partial output. */
export class Kubectl {
    private readonly timeout: { text: string; ms: number };

    constructor(private readonly env: Readonly<Record<string, string | undefined>>) {
        this.timeout = requestTimeout(env);
    }

    /** The arguments of a call; `bounded`: each of its API requests within the request timeout. */
    private argv(args: readonly string[], namespace?: string, bounded = false): string[] {
        const context = this.env.KUBE_CONTEXT ? ["--context", this.env.KUBE_CONTEXT] : [];
        return [...context, ...(bounded ? [`--request-timeout=${this.timeout.text}`] : []), ...(namespace ? ["-n", namespace] : []), ...args];
    }

    private options() {
        return { env: { ...process.env, ...this.env }, encoding: "utf8" as const, maxBuffer: 1 << 30 };
    }

    /** One kubectl call, each of its API requests bounded by the request timeout (`rollout status --timeout` bounds the whole wait). */
    run(args: readonly string[], namespace?: string): string {
        const full = this.argv(args, namespace, true);
        const r = spawnSync("kubectl", full, this.options());
        if (r.error || r.status !== 0) {
            throw new KubectlError(full, namespace, r.error ? r.error.message : `exit ${r.status}: ${r.stderr}`);
        }
        return r.stdout;
    }

    json(args: readonly string[], namespace?: string): any {
        const withOutput = [...args, "-o", "json"];
        return parseJson(withOutput, namespace, this.run(withOutput, namespace));
    }

    /**
     * GETs API paths (`/api/v1/namespaces`, ...) all at once, without blocking, through one `kubectl proxy` that
     * serves on a Unix socket in a private temporary directory: no TCP port, so nothing else on the machine can use
     * the credentials while it runs (under a second). kubectl authenticates as for any call and passes the API
     * server's JSON through as is: a `kubectl get -o json` of the same lists decodes and re-encodes every object
     * (half a second of CPU for 400 pods and their ReplicaSets), and one `kubectl get --raw` per path costs a
     * process each (some 40 ms of CPU to start and authenticate). Resolves with each answer, parsed (list items
     * carry no kind); any answer but 200, a proxy that does not start, or no answer within the request timeout
     * (the proxy's start, then each read) rejects with a KubectlError naming the read and what the proxy said.
     */
    async getAll(apiPaths: readonly string[]): Promise<any[]> {
        const proxy = new SocketProxy(this.argv(["proxy"]), this.options().env);
        try {
            await proxy.serving(this.timeout);
            return await Promise.all(apiPaths.map(apiPath => getThrough(proxy, apiPath, this.timeout)));
        } finally {
            proxy.stop();
        }
    }
}

/**
 * Runs `kubectl proxy` (the arguments after the directory) and removes the directory when it ends. Its stdin is a
 * pipe the program holds: end of file (the program stopped it, or died, even by SIGKILL, as the language host kills a
 * program that does not stop within 5 s of a cancel) stops the proxy. Its own process group, so only the program stops it.
 */
const PROXY_WRAPPER = `dir=$1; shift
"$@" </dev/null & proxy=$!
# The proxy's output goes to the program; the wrapper's own (a job's "Terminated") would meet a closed pipe and end it early.
exec 3<&0 >/dev/null 2>&1
trap 'kill $proxy; rm -rf "$dir"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM
{ cat <&3; kill $proxy; } &
wait $proxy`;

/**
 * `kubectl proxy` on a Unix socket in a private temporary directory, which neither outlives the program: stop() (the
 * reads' end, SIGINT, SIGTERM, the program's exit, an uncaught exception), or, when the program is killed, the wrapper.
 */
class SocketProxy {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-kubectl-"));
    readonly socket = path.join(this.dir, "api.sock");
    readonly args: readonly string[];
    /** What the proxy said on stderr (an exec credential plugin's prompt goes there). */
    stderr = "";
    private readonly child: ChildProcess;
    private stopped = false;
    private readonly onSignal = (signal: NodeJS.Signals) => {
        this.stop();
        // As if this handler were not there: the signal's default action, or the program's own handlers.
        process.kill(process.pid, signal);
    };
    private readonly onExit = () => this.stop();

    constructor(kubectlArgs: readonly string[], env: NodeJS.ProcessEnv) {
        this.args = [...kubectlArgs, `--unix-socket=${this.socket}`];
        process.once("SIGINT", this.onSignal).once("SIGTERM", this.onSignal).once("exit", this.onExit);
        this.child = spawn("/bin/sh", ["-c", PROXY_WRAPPER, "sh", this.dir, "kubectl", ...this.args],
            { env, stdio: ["pipe", "pipe", "pipe"], detached: true });
        // The wrapper may be gone before the program closes the pipe.
        this.child.stdin!.on("error", () => undefined);
        this.child.stderr!.on("data", chunk => { this.stderr += chunk; });
    }

    /** Resolves once the proxy says it serves; rejects with what it said if it exits first, or after `timeout`. */
    serving(timeout: { text: string; ms: number }): Promise<void> {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(this.deadlineError(this.args, "did not start serving", timeout)), timeout.ms);
            const settle = (e?: Error) => {
                clearTimeout(timer);
                return e ? reject(e) : resolve();
            };
            let stdout = "";
            this.child.stdout!.on("data", chunk => {
                stdout += chunk;
                if (stdout.includes("Starting to serve on")) {
                    settle();
                }
            });
            this.child.on("error", e => settle(new KubectlError(this.args, undefined, e.message)));
            this.child.on("exit", code => settle(new KubectlError(this.args, undefined, `exit ${code}: ${this.stderr}`)));
        });
    }

    /** The error of a call (`args`) that did not finish within the timeout: the deadline, its key, what the proxy said and the fix. */
    deadlineError(args: readonly string[], what: string, timeout: { text: string }): KubectlError {
        const said = this.stderr.trim() ? `kubectl proxy said:\n${this.stderr.trim().split("\n").map(l => `  ${l}`).join("\n")}\n` : "kubectl proxy said nothing.\n";
        return new KubectlError(args, undefined, `${what} within ${timeout.text} (${REQUEST_TIMEOUT_KEY} = "${timeout.text}"). ${said}` +
            `Fix: if the kubeconfig's credential plugin waits for a login (see above), log in (e.g. run 'kubectl get namespaces' once) and run again; ` +
            `if the cluster is only slow, raise ${REQUEST_TIMEOUT_KEY} (pulumi config set --path kubernetes.requestTimeout 1m).`);
    }

    /** Stops the proxy and its process group, removes the directory; synchronous, so it runs in an exit handler too. */
    stop(): void {
        if (this.stopped) {
            return;
        }
        this.stopped = true;
        process.removeListener("SIGINT", this.onSignal).removeListener("SIGTERM", this.onSignal).removeListener("exit", this.onExit);
        try {
            process.kill(-this.child.pid!, "SIGTERM");
        } catch {
            // already gone (or never started: the spawn's error says why)
        }
        this.child.stdin!.destroy();
        fs.rmSync(this.dir, { recursive: true, force: true });
        // The wrapper ends on its own now: the program need not wait for it.
        this.child.unref();
        this.child.stdout!.destroy();
        this.child.stderr!.destroy();
    }
}

/** One GET through the proxy's socket within `timeout`: the body parsed; an error names the read as `kubectl get --raw` would make it. */
function getThrough(proxy: SocketProxy, apiPath: string, timeout: { text: string; ms: number }): Promise<any> {
    const read = ["get", "--raw", apiPath];
    return new Promise((resolve, reject) => {
        const req = http.get({ socketPath: proxy.socket, path: apiPath, headers: { Accept: "application/json" } }, res => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", e => reject(e instanceof KubectlError ? e : new KubectlError(read, undefined, e.message)));
            res.on("end", () => {
                clearTimeout(timer);
                const body = Buffer.concat(chunks).toString("utf8");
                if (res.statusCode !== 200) {
                    // The API server's Status object names the reason (Forbidden, NotFound...); the proxy's own errors are text.
                    let message = body.trim();
                    try {
                        message = JSON.parse(body).message ?? message;
                    } catch { /* text */ }
                    reject(new KubectlError(read, undefined, `${res.statusCode} ${res.statusMessage ?? ""}: ${message}`));
                    return;
                }
                try {
                    resolve(parseJson(read, undefined, body));
                } catch (e) {
                    reject(e);
                }
            });
        });
        const timer = setTimeout(() => req.destroy(proxy.deadlineError(read, "no answer", timeout)), timeout.ms);
        req.on("error", e => {
            clearTimeout(timer);
            reject(e instanceof KubectlError ? e : new KubectlError(read, undefined, e.message));
        });
    });
}

/** kubectl's output `out` of the command `args`, parsed; unreadable output is a KubectlError naming the command. */
function parseJson(args: readonly string[], namespace: string | undefined, out: string): any {
    try {
        return JSON.parse(out);
    } catch (e) {
        throw new KubectlError(args, namespace, `unreadable output: ${(e as Error).message}`);
    }
}

/**
 * The two `kubectl get` reads of an observation of `namespaces` (arguments and namespace): their Namespace objects,
 * then their workloads, pods and PodDisruptionBudgets. One namespace: two calls scoped to it (the restart step);
 * more: two cluster-wide calls, whatever the number of namespaces.
 */
function observationReads(namespaces: readonly string[]): [string[], string | undefined][] {
    const one = namespaces.length === 1 ? namespaces[0] : undefined;
    return one ? [[["get", "namespace", one], undefined], [["get", OBSERVED_KINDS], one]]
        : [[["get", "namespaces"], undefined], [["get", OBSERVED_KINDS, "-A"], undefined]];
}

/** The observation of `namespaces` from the answers of its two reads (a Namespace or a List; a List of objects with their kind). */
function observationOf(namespaces: readonly string[], nsRead: any, listed: readonly KubeObject[]): Observation {
    const nsObjects: KubeObject[] = nsRead.items ?? [nsRead];
    const wanted = new Set(namespaces);
    const namespaceLabels: Record<string, string | undefined> = {};
    const namespaceVersions: Record<string, string> = {};
    const namespaceInjection: Record<string, string> = {};
    const namespaceModes: Record<string, string> = {};
    for (const ns of nsObjects.filter(n => wanted.has(n.metadata.name))) {
        const mode = ns.metadata.labels?.[DATAPLANE_MODE_LABEL];
        if (mode !== undefined) {
            namespaceModes[ns.metadata.name] = mode;
        }
        namespaceLabels[ns.metadata.name] = ns.metadata.labels?.[REV_LABEL];
        namespaceVersions[ns.metadata.name] = ns.metadata.resourceVersion ?? "";
        const legacy = ns.metadata.labels?.[INJECTION_LABEL];
        if (legacy !== undefined) {
            namespaceInjection[ns.metadata.name] = legacy;
        }
    }
    return { namespaceLabels, namespaceVersions, namespaceInjection, namespaceModes, objects: listed.filter(o => wanted.has(o.metadata.namespace ?? "")) };
}

const NOTHING_OBSERVED: Observation = { namespaceLabels: {}, objects: [] };

/** What the restart decision reads, for the given namespaces: their istio.io/rev labels and their workloads, pods and PDBs. */
export function observe(kubectl: Kubectl, namespaces: readonly string[]): Observation {
    if (namespaces.length === 0) {
        return NOTHING_OBSERVED;
    }
    const [nsRead, listRead] = observationReads(namespaces).map(([args, namespace]) => kubectl.json(args, namespace));
    // kubectl's List items carry their kind (a mixed list always does).
    return observationOf(namespaces, nsRead, listRead.items);
}

/**
 * As `observe`, from the API server's own JSON (Kubectl.getAll), every read at once and without blocking: the
 * namespaces, then one list per kind (OBSERVED_RESOURCES), cluster-wide, or scoped to the one namespace.
 * `clusterWide` (a step that retires a revision): the reads are never scoped, and every namespace and pod of the
 * cluster is kept in `cluster`, whatever is bound.
 */
export async function observeAsync(kubectl: Kubectl, namespaces: readonly string[], clusterWide = false, ztunnelNamespace?: string): Promise<Observation> {
    if (namespaces.length === 0 && !clusterWide && !ztunnelNamespace) {
        return NOTHING_OBSERVED;
    }
    const scope = namespaces.length === 1 && !clusterWide ? `/namespaces/${namespaces[0]}` : "";
    // Ambient mode: the nodes and ztunnel's pods too, in the same proxy's reads (the ztunnel step's plan).
    const ztunnelReads = ztunnelNamespace ? ["/api/v1/nodes", `/api/v1/namespaces/${ztunnelNamespace}/pods?labelSelector=app%3D${ZTUNNEL_APP}`] : [];
    const answers = await kubectl.getAll([
        `/api/v1${scope || "/namespaces"}`,
        ...OBSERVED_RESOURCES.map(r => `/${r.api}${scope}/${r.resource}`),
        ...ztunnelReads,
    ]);
    const [nodesRead, ztunnelRead] = ztunnelNamespace ? answers.splice(answers.length - 2, 2) : [];
    const ztunnel = ztunnelNamespace ? {
        ztunnel: {
            nodes: (nodesRead.items ?? []).map((o: object) => ({ ...o, kind: "Node" })),
            pods: (ztunnelRead.items ?? []).map((o: object) => ({ ...o, kind: "Pod" })),
        },
    } : {};
    const [nsRead, ...lists] = answers;
    // An API list's items carry no kind: each list's is its resource's.
    const listed = lists.flatMap((list, i): KubeObject[] => (list.items ?? []).map((o: object) => ({ ...o, kind: OBSERVED_RESOURCES[i].kind })));
    const observation = { ...observationOf(namespaces, nsRead, listed), ...ztunnel };
    return clusterWide ? { ...observation, cluster: { namespaces: nsRead.items ?? [], pods: listed.filter(o => o.kind === "Pod") } } : observation;
}
