#!/usr/bin/env bash
# tools/offline/cluster.sh: a throwaway KWOK Kubernetes cluster on 127.0.0.1 for the end-to-end test.
#
#   tools/offline/cluster.sh start    start one (etcd, kube-apiserver, kube-controller-manager, kube-scheduler and the
#                               kwok controller as local processes, random free ports), write its kubeconfig,
#                               create simulated nodes; prints the `export` lines to use it
#   tools/offline/cluster.sh env      print those lines again:  eval "$(tools/offline/cluster.sh env)"
#   tools/offline/cluster.sh status   kubectl get nodes
#   tools/offline/cluster.sh stop     stop every process of the cluster and delete its directory
#
# Everything lives in one directory: $ISTIO_MESH_CLUSTER_DIR if set, else a new `mktemp -d`. The directory of
# the last cluster started without ISTIO_MESH_CLUSTER_DIR is remembered in $CACHE/cluster-current, so
# `start` then `stop` works without any variable. Nodes and pods are simulated by kwok: pods of Deployments
# and DaemonSets become Running/Ready, so rollouts complete; no container ever runs.
#
# Sidecar injection is real: the mutating admission webhook is on, and kube-apiserver reaches webhooks through
# the loopback CONNECT proxy tools/offline/egress-proxy (its `cluster` egress, EgressSelectorConfiguration), which
# forwards `CONNECT <istiod-<rev> ClusterIP>:443` to the istiod of that revision running as a local process (a
# line in $dir/egress-proxy/routes; demo/istiods.ts starts one per installed revision and writes that line) and
# refuses anything else (403), so no connection leaves 127.0.0.1. Validating webhooks and
# ValidatingAdmissionPolicies stay off, as the local istiods' validation is not what the tests check.
#
# Prometheus (the health gate's) runs on 127.0.0.1 too, scraping every second the targets listed in
# $dir/prometheus/targets/*.json (file service discovery): demo/istiods.ts lists each istiod's monitoring port there
# (labels app=istiod, istio_io_rev=<rev>, as a Kubernetes pod scrape names them), demo/local.ts the data-plane fixture.
#
# Options (environment): CLUSTER_NODES (default 2), CLUSTER_NAME (default istio-mesh),
#   ISTIO_MESH_TOOLCHAIN (where tools/offline/toolchain.sh built the binaries).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tools/offline/toolchain.versions
source "$SCRIPT_DIR/toolchain.versions"
CACHE=${ISTIO_MESH_TOOLCHAIN:-$HOME/.cache/istio-mesh-toolchain}
BIN=$CACHE/bin
CURRENT=$CACHE/cluster-current
NAME=${CLUSTER_NAME:-istio-mesh}
NODES=${CLUSTER_NODES:-2}
export PATH="$BIN:$PATH"

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

cluster_dir() { # the existing cluster's directory
	if [[ -n ${ISTIO_MESH_CLUSTER_DIR:-} ]]; then
		echo "$ISTIO_MESH_CLUSTER_DIR"
	elif [[ -f $CURRENT ]]; then
		cat "$CURRENT"
	else
		die "no cluster: set ISTIO_MESH_CLUSTER_DIR or run '$0 start'"
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
		node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

kwokctl_in() { # dir args...
	local dir=$1
	shift
	KWOK_WORKDIR=$dir/kwok kwokctl --name "$NAME" "$@"
}

print_env() {
	local dir=$1
	echo "export ISTIO_MESH_CLUSTER_DIR='$dir'"
	echo "export KUBECONFIG='$dir/kubeconfig'"
	echo "export ISTIO_MESH_PROMETHEUS_URL='http://127.0.0.1:$(cat "$dir/prometheus/port")'"
}

# start_prometheus DIR: Prometheus on a free 127.0.0.1 port, scraping the file-discovered targets every second.
start_prometheus() {
	local p=$1/prometheus port _
	mkdir -p "$p/targets"
	port=$(free_port)
	cat >"$p/prometheus.yml" <<EOF
global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: local
  file_sd_configs: [{files: ["$p/targets/*.json"], refresh_interval: 1s}]
EOF
	"$BIN/prometheus" --config.file="$p/prometheus.yml" --web.listen-address="127.0.0.1:$port" \
		--storage.tsdb.path="$p/data" --storage.tsdb.retention.time=1d >"$p/prometheus.log" 2>&1 &
	echo $! >"$p/prometheus.pid"
	for _ in $(seq 1 100); do
		if curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
			echo "$port" >"$p/port"
			return 0
		fi
		sleep 0.2
	done
	cat "$p/prometheus.log" >&2
	die "prometheus did not start (log: $p/prometheus.log)"
}

# start_egress_proxy DIR: the CONNECT proxy for kube-apiserver's `cluster` egress (webhooks, by Service), on a
# free 127.0.0.1 port; writes the EgressSelectorConfiguration pointing at it. etcd and controlplane egress are
# not listed, so they stay direct.
start_egress_proxy() {
	local p=$1/egress-proxy _
	mkdir -p "$p"
	: >"$p/routes"
	"$BIN/egress-proxy" "$p" >"$p/egress-proxy.log" 2>&1 &
	echo $! >"$p/egress-proxy.pid"
	for _ in $(seq 1 100); do
		[[ -s $p/port ]] && break
		sleep 0.1
	done
	[[ -s $p/port ]] || {
		cat "$p/egress-proxy.log" >&2
		die "egress-proxy did not start (log: $p/egress-proxy.log)"
	}
	cat >"$p/egress-selector.yaml" <<EOF
apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    # HTTPConnect over TCP is always mTLS in kube-apiserver: the proxy wrote the CA and the client pair
    proxyProtocol: HTTPConnect
    transport:
      tcp:
        url: https://127.0.0.1:$(cat "$p/port")
        tlsConfig:
          caBundle: $p/ca.crt
          clientCert: $p/client.crt
          clientKey: $p/client.key
EOF
}

# stop_pid FILE: SIGTERM the process whose pid FILE holds, and wait (up to 10 s) for it to go.
stop_pid() {
	local pid _
	pid=$(cat "$1" 2>/dev/null || true)
	[[ $pid =~ ^[0-9]+$ ]] || return 0
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}

start() {
	local b
	for b in kwokctl kwok kube-apiserver kube-controller-manager kube-scheduler kubectl etcd egress-proxy prometheus; do
		[[ -x $BIN/$b ]] || die "$BIN/$b missing: run tools/offline/toolchain.sh first"
	done
	local dir
	if [[ -n ${ISTIO_MESH_CLUSTER_DIR:-} ]]; then
		dir=$ISTIO_MESH_CLUSTER_DIR
		mkdir -p "$dir"
		[[ ! -e $dir/kwokctl.yaml ]] || die "$dir already holds a cluster; '$0 stop' it first"
	else
		dir=$(mktemp -d "${TMPDIR:-/tmp}/istio-mesh-cluster.XXXXXX")
		mkdir -p "$CACHE"
		echo "$dir" >"$CURRENT"
	fi
	touch "$dir/.created-by-cluster-sh"
	# kube-apiserver reads the proxy's client certificate at start: the proxy runs first.
	start_egress_proxy "$dir"
	start_prometheus "$dir"

	cat >"$dir/kwokctl.yaml" <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  kubeVersion: v$KUBERNETES_VERSION
  etcdVersion: $ETCD_VERSION
  kwokVersion: v$KWOK_VERSION
  bindAddress: 127.0.0.1
  securePort: true
  quietPull: true
  # only local binaries: kwokctl never downloads anything
  kubeApiserverBinary: $BIN/kube-apiserver
  kubeControllerManagerBinary: $BIN/kube-controller-manager
  kubeSchedulerBinary: $BIN/kube-scheduler
  kubectlBinary: $BIN/kubectl
  etcdBinary: $BIN/etcd
  kwokControllerBinary: $BIN/kwok
  cacheDir: $dir/kwok/cache
  kubeApiserverPort: $(free_port)
  etcdPort: $(free_port)
  etcdPeerPort: $(free_port)
  kubeControllerManagerPort: $(free_port)
  kubeSchedulerPort: $(free_port)
  kwokControllerPort: $(free_port)
componentsPatches:
- name: kube-apiserver
  extraArgs:
  # MutatingAdmissionWebhook stays on: sidecar injection
  - key: disable-admission-plugins
    value: ValidatingAdmissionWebhook,ValidatingAdmissionPolicy
  - key: egress-selector-config-file
    value: $dir/egress-proxy/egress-selector.yaml
EOF

	echo "cluster.sh: starting KWOK cluster '$NAME' in $dir" >&2
	if ! kwokctl_in "$dir" create cluster --config "$dir/kwokctl.yaml" --kubeconfig "$dir/kubeconfig" \
		--wait 3m >"$dir/create.log" 2>&1; then
		cat "$dir/create.log" >&2
		die "kwokctl create cluster failed (logs: $dir/create.log, $dir/kwok/clusters/$NAME/logs)"
	fi
	export KUBECONFIG=$dir/kubeconfig

	local i
	for i in $(seq 1 "$NODES"); do
		cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    topology.kubernetes.io/zone: zone-$i
    type: kwok
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: v$KUBERNETES_VERSION}
---
EOF
	done >"$dir/nodes.yaml"
	kubectl apply -f "$dir/nodes.yaml" >&2
	kubectl wait --for=condition=Ready node --all --timeout=120s >&2
	# Namespaces get their default ServiceAccount from kube-controller-manager; wait so pods can be created.
	local _
	for _ in $(seq 1 60); do
		kubectl -n default get serviceaccount default >/dev/null 2>&1 && break
		sleep 1
	done
	kubectl get nodes >&2
	print_env "$dir"
}

stop() {
	local dir
	dir=$(cluster_dir)
	[[ -d $dir ]] || {
		rm -f "$CURRENT"
		echo "cluster.sh: $dir is already gone" >&2
		return 0
	}
	# The istiods (and their supervisor, demo/istiods.ts) first: they are clients of the cluster.
	local f
	for f in "$dir/istiods/supervisor.pid" "$dir"/istiods/*/istiod.pid; do
		if [[ -f $f ]]; then stop_pid "$f"; fi
	done
	if [[ -d $dir/kwok/clusters/$NAME ]]; then
		kwokctl_in "$dir" delete cluster >"$dir/delete.log" 2>&1 || cat "$dir/delete.log" >&2
	fi
	if [[ -f $dir/egress-proxy/egress-proxy.pid ]]; then stop_pid "$dir/egress-proxy/egress-proxy.pid"; fi
	if [[ -f $dir/prometheus/prometheus.pid ]]; then stop_pid "$dir/prometheus/prometheus.pid"; fi
	# Anything kwokctl left behind: its processes record their pids under the cluster dir.
	local pidfile pid
	while IFS= read -r pidfile; do
		pid=$(cat "$pidfile" 2>/dev/null || true)
		if [[ $pid =~ ^[0-9]+$ ]]; then kill "$pid" 2>/dev/null || true; fi
	done < <(find "$dir" -name '*.pid' 2>/dev/null)
	if [[ -f $dir/.created-by-cluster-sh ]]; then
		rm -rf "$dir"
	fi
	if [[ -f $CURRENT && "$(cat "$CURRENT")" == "$dir" ]]; then rm -f "$CURRENT"; fi
	echo "cluster.sh: stopped and removed $dir" >&2
}

main() {
	case ${1:-} in
	start) start ;;
	stop) stop ;;
	env) print_env "$(cluster_dir)" ;;
	status) KUBECONFIG=$(cluster_dir)/kubeconfig kubectl get nodes,pods -A ;;
	*)
		sed -n '2,20p' "$0" >&2
		exit 2
		;;
	esac
}

# One line, read whole before it runs: editing this file while it runs cannot derail it.
main "$@"; exit $?
