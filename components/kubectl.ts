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

/**
 * Restarts every Deployment, StatefulSet and DaemonSet of $NAMESPACE and waits for each rollout ($TIMEOUT each),
 * so its pods are injected by $REVISION ($VERSION). Prints what it restarted.
 */
export const RESTART_SCRIPT = `${PRELUDE}
workloads=$(k get deployments,statefulsets,daemonsets -n "$NAMESPACE" -o name)
if [ -z "$workloads" ]; then
  echo "namespace $NAMESPACE now on $REVISION ($VERSION); no workloads to restart"
  exit 0
fi
for w in $workloads; do k rollout restart "$w" -n "$NAMESPACE" >/dev/null; done
for w in $workloads; do
  if ! k rollout status "$w" -n "$NAMESPACE" --timeout="$TIMEOUT" >/dev/null; then
    echo "istio-mesh: $w in namespace $NAMESPACE did not finish restarting onto revision $REVISION ($VERSION) within $TIMEOUT." >&2
    echo "Check 'kubectl -n $NAMESPACE rollout status $w' and its pods; raise istio-mesh:restartTimeout if it is only slow, or revert istio-mesh:namespaces.$NAMESPACE to roll back." >&2
    exit 1
  fi
done
echo "namespace $NAMESPACE now on $REVISION ($VERSION); restarted:" $workloads
`;

/**
 * The update step of a restart: Pulumi runs it when any input changes (say, the timeout); it restarts only when
 * the revision or version the previous run restarted onto (in its stdout) differs.
 */
export const RESTART_ON_CHANGE_SCRIPT = `if [[ "\${PULUMI_COMMAND_STDOUT:-}" == *"now on $REVISION ($VERSION)"* ]]; then
  echo "namespace $NAMESPACE now on $REVISION ($VERSION); unchanged, no restart"
  exit 0
fi
${RESTART_SCRIPT}`;

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
