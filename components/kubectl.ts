/**
 * The kubectl scripts the program runs through @pulumi/command, and the environment that points them at the
 * cluster the Kubernetes provider uses. Scripts read their parameters from the environment so the script text
 * stays the same and a change of revision shows in the preview as a change of `environment`.
 */
import { REV_LABEL, INJECTION_LABEL } from "../istio";

export interface ClusterAccess {
    /** Path to a kubeconfig file (the provider's `kubeconfig`); the ambient KUBECONFIG when unset. */
    kubeconfig?: string;
    /** kubeconfig context (the provider's `context`). */
    context?: string;
}

/** Environment variables that make the scripts below use the same cluster as the provider. */
export function clusterEnvironment(access: ClusterAccess): Record<string, string> {
    const env: Record<string, string> = {};
    if (access.kubeconfig) {
        env.KUBECONFIG = access.kubeconfig;
    }
    if (access.context) {
        env.KUBE_CONTEXT = access.context;
    }
    return env;
}

const PRELUDE = `set -euo pipefail
k() { kubectl \${KUBE_CONTEXT:+--context "$KUBE_CONTEXT"} "$@"; }
`;

/** The environment variable carrying one namespace's binding for RESTARTS_SCRIPT ("shop-v2" -> BIND_shop_v2). */
export function bindingVariable(namespace: string): string {
    return `BIND_${namespace.replace(/-/g, "_")}`;
}

/** The value of a binding variable: "<namespace> <revision> <version>". */
export function bindingValue(namespace: string, revision: string, version: string): string {
    return `${namespace} ${revision} ${version}`;
}

/**
 * Restarts the workloads of exactly the namespaces whose binding changed. Each bound namespace comes as
 * BIND_<ns>="<ns> <revision> <version>"; the previous run's stdout (PULUMI_COMMAND_STDOUT) lists the bindings
 * it applied as "bound <ns> <revision> <version>". Every Deployment, StatefulSet and DaemonSet of a namespace
 * whose line is new or different is restarted; then each rollout is awaited ($TIMEOUT each), so its pods are
 * injected by the new revision. A failure names the workload, the namespace and the config keys to turn.
 */
export const RESTARTS_SCRIPT = `${PRELUDE}
mapfile -t bindings < <(env | sed -n 's/^BIND_[A-Za-z0-9_]*=//p' | sort)
moving=()
for b in "\${bindings[@]}"; do
  grep -qxF "bound $b" <<< "\${PULUMI_COMMAND_STDOUT:-}" || moving+=("$b")
done
restarting=()
for b in "\${moving[@]}"; do
  read -r ns rev ver <<< "$b"
  count=0
  for w in $(k get deployments,statefulsets,daemonsets -n "$ns" -o name); do
    k rollout restart "$w" -n "$ns" >/dev/null
    restarting+=("$ns $w $rev $ver")
    count=$((count + 1))
  done
  echo "namespace $ns: restarting $count workload(s) onto revision $rev ($ver)"
done
for r in "\${restarting[@]}"; do
  read -r ns w rev ver <<< "$r"
  if ! k rollout status "$w" -n "$ns" --timeout="$TIMEOUT" >/dev/null; then
    echo "istio-mesh: $w in namespace $ns did not finish restarting onto revision $rev ($ver) within $TIMEOUT." >&2
    echo "Check 'kubectl -n $ns rollout status $w' and its pods; raise istio-mesh:restartTimeout if it is only slow, or revert istio-mesh:namespaces.$ns to roll back." >&2
    exit 1
  fi
done
[ \${#moving[@]} -gt 0 ] || echo "no namespace changed revision: nothing restarted"
for b in "\${bindings[@]}"; do echo "bound $b"; done
`;

/**
 * Refuses (exit 1, naming the pods) while any pod that is not finished still carries ${REV_LABEL}=$REVISION,
 * istiod's own pods aside. Runs before the revision's istiod is deleted.
 */
export const RETIREMENT_GUARD_SCRIPT = `${PRELUDE}
if [ "\${ISTIO_MESH_SKIP_RETIREMENT_GUARD:-}" = "1" ]; then
  echo "retirement guard of revision $REVISION skipped (ISTIO_MESH_SKIP_RETIREMENT_GUARD=1)"
  exit 0
fi
pods=$(k get pods -A -l "${REV_LABEL}=$REVISION,app!=istiod" \\
  --field-selector=status.phase!=Succeeded,status.phase!=Failed \\
  -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}')
if [ -n "$pods" ]; then
  count=$(printf '%s\\n' "$pods" | wc -l)
  echo "istio-mesh: revision $REVISION still serves $count running pod(s), so its istiod is not deleted:" >&2
  printf '%s\\n' "$pods" | head -20 | sed 's/^/  /' >&2
  echo "Move their namespaces to another revision in istio-mesh:namespaces and let them restart, then run 'pulumi up' again." >&2
  echo "(To delete anyway, e.g. when destroying the stack, set ISTIO_MESH_SKIP_RETIREMENT_GUARD=1.)" >&2
  exit 1
fi
echo "revision $REVISION serves no running pods: retiring it"
`;

/**
 * Before any namespace is labelled: every namespace in $NAMESPACES (space-separated) must exist, since the
 * program labels existing application namespaces and never creates them; then the legacy ${INJECTION_LABEL}
 * label is removed from all of them, since it would override the revision label (maintainers: never set both).
 * Two kubectl calls whatever the number of namespaces.
 */
export const NAMESPACE_PREFLIGHT_SCRIPT = `${PRELUDE}
read -r -a namespaces <<< "$NAMESPACES"
[ \${#namespaces[@]} -gt 0 ] || exit 0
found=$(k get namespace "\${namespaces[@]}" -o name --ignore-not-found | sed 's#^namespace/##')
missing=()
for ns in "\${namespaces[@]}"; do grep -qx "$ns" <<< "$found" || missing+=("$ns"); done
if [ \${#missing[@]} -gt 0 ]; then
  echo "istio-mesh: these namespaces do not exist: \${missing[*]}." >&2
  echo "istio-mesh labels existing application namespaces and never creates them: create them, or remove them from istio-mesh:namespaces." >&2
  exit 1
fi
k label namespace "\${namespaces[@]}" ${INJECTION_LABEL}- >/dev/null 2>&1 || true
echo "\${#namespaces[@]} namespaces exist; ${INJECTION_LABEL} label absent"
`;
