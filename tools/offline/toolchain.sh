#!/usr/bin/env bash
# tools/offline/toolchain.sh: build, offline, everything the end-to-end test needs, into a cache folder
# outside the repo:
#   node (Node.js NODE_MAJOR LTS, from the npm registry's per-platform build) when the machine's node is older,
#   pulumi (CLI), and the real plugins pulumi-language-nodejs, pulumi-resource-kubernetes and
#   pulumi-resource-command built from their upstream sources in ../shared/vendor (providers installed into PULUMI_HOME),
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd, kwok, kwokctl,
#   istioctl for two Istio minors, and those minors' Helm charts (base, istiod, gateway, cni, ztunnel);
#   prometheus (the health gate's, from Debian's package: apt-get download, unpacked into the cache);
#   the Gateway API CRD manifests of the releases the two Istio minors are built against (go mod download: the
#   module cache, $(go env GOMODCACHE), not the cache folder; --env exports GOMODCACHE so the program finds them).
#
# Usage:
#   tools/offline/toolchain.sh               build what is missing (resumable; a failure of one binary does not stop
#                                      the others; exits non-zero at the end if a required one failed)
#   tools/offline/toolchain.sh --only a,b    build only the named targets (names as printed by --list)
#   tools/offline/toolchain.sh --check       quick: exit 0 only if everything the e2e test needs is present;
#                                      one line per missing item
#   tools/offline/toolchain.sh --env         print `export ...` lines:  eval "$(tools/offline/toolchain.sh --env)"
#                                      (the cache's node first on PATH when the machine's is older than NODE_MAJOR)
#   tools/offline/toolchain.sh --list        print the targets with their versions
#
# Cache: ${ISTIO_MESH_TOOLCHAIN:-$HOME/.cache/istio-mesh-toolchain}
#   bin/           the binaries (bin/.stamps/<name> records the version each was built at)
#   node/bin/node  Node.js NODE_VERSION, only when the machine's node is older than NODE_MAJOR
#   pulumi-home/   PULUMI_HOME, with the provider plugins installed (no download is ever attempted)
#   charts/<minor>/{base,istiod,gateway,cni,ztunnel}   Istio Helm charts, e.g. charts/1.30/istiod; charts/<exact version>
#                  is a symlink to it (e.g. charts/1.30.4-dev.9739e10e), as is bin/istioctl-<exact version>
#   plugins-build/ the copies of the vendor trees the plugins are built in (../shared/vendor/build-plugins.sh)
#   src/           wrapper Go modules;  logs/<target>.log  build logs;  build-times.txt  seconds per build
# Versions are pinned in tools/offline/toolchain.versions (the one place to change them).
#
# The Go module proxy refuses the module paths of the three plugins, so they are built from the unmodified
# upstream trees in ${ISTIO_MESH_VENDOR:-<repo>/../shared/vendor} by its build-plugins.sh (copied into the cache
# first; only go.mod and two compile fixes change, see its README). A plugin counts as built only when its stamp
# matches and `go version -m` names the upstream main package: a cache built with the former stand-ins, or a
# half-finished build, is rebuilt, never reported ready.
# build_<target> functions are called indirectly (build_target):
# shellcheck disable=SC2317
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VENDOR=${ISTIO_MESH_VENDOR:-$(cd "$SCRIPT_DIR/../.." && pwd)/../shared/vendor}
# shellcheck source=tools/offline/toolchain.versions
source "$SCRIPT_DIR/toolchain.versions"

CACHE=${ISTIO_MESH_TOOLCHAIN:-$HOME/.cache/istio-mesh-toolchain}
BIN=$CACHE/bin
SRC=$CACHE/src
LOGS=$CACHE/logs
CHARTS=$CACHE/charts
STAMPS=$BIN/.stamps
TOOLCHAIN_PULUMI_HOME=$CACHE/pulumi-home
TIMES=$CACHE/build-times.txt
NODE_DIR=$CACHE/node

ISTIO_MINORS=("$ISTIO_OLD_MINOR" "$ISTIO_NEW_MINOR")
istio_module_version() { if [[ $1 == "$ISTIO_OLD_MINOR" ]]; then echo "$ISTIO_OLD_MODULE_VERSION"; else echo "$ISTIO_NEW_MODULE_VERSION"; fi; }
istio_chart_version() { if [[ $1 == "$ISTIO_OLD_MINOR" ]]; then echo "$ISTIO_OLD_CHART_VERSION"; else echo "$ISTIO_NEW_CHART_VERSION"; fi; }

# Upstream main package of each plugin, as `go version -m` prints it.
declare -A PLUGIN_MAIN=(
	[pulumi-language-nodejs]=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
	[pulumi-resource-kubernetes]=github.com/pulumi/pulumi-kubernetes/provider/v4/cmd/pulumi-resource-kubernetes
	[pulumi-resource-command]=github.com/pulumi/pulumi-command/provider/cmd/pulumi-resource-command
)
# Stamps say where a plugin came from, so a cache stamped by a stand-in build never matches.
PLUGIN_ORIGIN=upstream

# The first node on PATH other than the cache's own (a PATH set by --env already holds that one first).
machine_node() {
	local dir IFS=:
	for dir in $PATH; do
		if [[ $dir != "$NODE_DIR/bin" && -x $dir/node ]]; then
			echo "$dir/node"
			return 0
		fi
	done
	return 1
}

# True when the machine has no node or one older than NODE_MAJOR: then the toolchain installs and uses its own.
node_needed() {
	local node major
	node=$(machine_node) || return 0
	major=$("$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 0
	((major < NODE_MAJOR))
}

targets() {
	if node_needed; then echo "node|$NODE_VERSION|1|$NODE_DIR/bin/node"; fi
	echo "pulumi|$PULUMI_VERSION|1|$BIN/pulumi"
	echo "pulumi-language-nodejs|$PULUMI_VERSION+$PLUGIN_ORIGIN|1|$BIN/pulumi-language-nodejs"
	echo "pulumi-resource-kubernetes|$KUBERNETES_PROVIDER_VERSION+$PLUGIN_ORIGIN|1|$TOOLCHAIN_PULUMI_HOME/plugins/resource-kubernetes-v$KUBERNETES_PROVIDER_VERSION/pulumi-resource-kubernetes"
	echo "pulumi-resource-command|$COMMAND_PROVIDER_VERSION+$PLUGIN_ORIGIN|1|$TOOLCHAIN_PULUMI_HOME/plugins/resource-command-v$COMMAND_PROVIDER_VERSION/pulumi-resource-command"
	echo "kube-apiserver|$KUBERNETES_VERSION|1|$BIN/kube-apiserver"
	echo "kube-controller-manager|$KUBERNETES_VERSION|1|$BIN/kube-controller-manager"
	echo "kube-scheduler|$KUBERNETES_VERSION|1|$BIN/kube-scheduler"
	echo "kubectl|$KUBERNETES_VERSION|1|$BIN/kubectl"
	echo "etcd|$ETCD_VERSION|1|$BIN/etcd"
	echo "kwok|$KWOK_VERSION|1|$BIN/kwok"
	echo "kwokctl|$KWOK_VERSION|1|$BIN/kwokctl"
	local m
	for m in "${ISTIO_MINORS[@]}"; do
		echo "istioctl-$m|$(istio_chart_version "$m")|1|$BIN/istioctl-$m"
		echo "charts-$m|$(istio_chart_version "$m")|1|$CHARTS/$m/istiod/Chart.yaml"
		echo "ztunnel-chart-$m|$(istio_chart_version "$m")|1|$CHARTS/$m/ztunnel/Chart.yaml"
		echo "pilot-discovery-$m|$(istio_chart_version "$m")|1|$BIN/pilot-discovery-$m"
	done
	local v
	for v in "${GATEWAY_API_VERSIONS[@]}"; do
		echo "gateway-api-$v|$v|1|$GOMODCACHE/sigs.k8s.io/gateway-api@v$v/config/crd/standard/gateway.networking.k8s.io_gateways.yaml"
	done
	echo "egress-proxy|$(egress_proxy_version)|1|$BIN/egress-proxy"
	echo "prometheus|$PROMETHEUS_DEB_VERSION|1|$BIN/prometheus"
}

stamp_ok() { # name version path
	[[ -e $3 && -f $STAMPS/$1 && "$(cat "$STAMPS/$1")" == "$2" ]] || return 1
	[[ -z ${PLUGIN_MAIN[$1]:-} ]] || upstream_binary "$3" "${PLUGIN_MAIN[$1]}"
}

upstream_binary() { # path main-package: the binary was built from that upstream main package
	[[ "$(go version -m "$1" 2>/dev/null | sed -n 's/^\tpath\t//p')" == "$2" ]]
}

# ------------------------------------------------------------------------------------------------
# helpers

export GOTOOLCHAIN=local
# Only ever talk to the module proxy: never fall back to "direct" (a VCS fetch from the source host).
GOPROXY=$(go env GOPROXY 2>/dev/null || true)
GOPROXY=${GOPROXY%,direct}
GOPROXY=${GOPROXY%|direct}
if [[ -z $GOPROXY || $GOPROXY == direct ]]; then GOPROXY=https://proxy.golang.org; fi
export GOPROXY
export GOFLAGS="-mod=mod -trimpath -buildvcs=false"
# Where `go mod download` leaves modules: the Gateway API manifests are read from there.
GOMODCACHE=$(go env GOMODCACHE 2>/dev/null || echo "$HOME/go/pkg/mod")
export GOMODCACHE
: "${GOMAXPROCS:=$(nproc)}"
export GOMAXPROCS
GOBUILD=(go build -p "$GOMAXPROCS")

pulumi_env() {
	export PULUMI_HOME=$TOOLCHAIN_PULUMI_HOME
	export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
	export PULUMI_SKIP_UPDATE_CHECK=true
	export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
}

# write_if_changed FILE CONTENT: keeps go.sum valid when nothing changed.
write_if_changed() {
	if [[ ! -f $1 || "$(cat "$1")" != "$2" ]]; then
		printf '%s\n' "$2" >"$1"
		return 0
	fi
	return 1
}

# wrapper_module DIR MODULE GOVERSION REQUIRES REPLACES IMPORTS: a throwaway module that pins the upstream
# module(s) and lists the packages to build in a tools.go, then `go mod tidy`.
wrapper_module() {
	local dir=$1 module=$2 gover=$3 requires=$4 replaces=$5 imports=$6
	mkdir -p "$dir"
	local gomod="module $module

go $gover

require (
$requires
)"
	if [[ -n $replaces ]]; then
		gomod+="

replace (
$replaces
)"
	fi
	local tools="//go:build tools

package tools

import (
$imports
)"
	local changed=0
	if [[ -n $imports ]]; then
		write_if_changed "$dir/tools.go" "$tools" && changed=1
	fi
	write_if_changed "$dir/go.mod.in" "$gomod" && changed=1
	if [[ $changed == 1 || ! -f $dir/go.sum ]]; then
		cp "$dir/go.mod.in" "$dir/go.mod"
		rm -f "$dir/go.sum"
		echo "+ go mod tidy in $dir"
		# -e: a module refused by the proxy that the build does not need must not stop us
		(cd "$dir" && go mod tidy -e)
	fi
}

module_dir() { # module@version -> directory in the module cache (downloads it)
	go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

# ------------------------------------------------------------------------------------------------
# build recipes (each runs in its own subshell with set -e; output goes to logs/<name>.log)

pulumi_wrapper() {
	local from=${PULUMI_CLIPBOARD_REPLACE%%=*} to=${PULUMI_CLIPBOARD_REPLACE#*=}
	wrapper_module "$SRC/pulumi" istio-mesh-toolchain/pulumi 1.25 \
		"	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION" \
		"	$from => ${to%@*} ${to#*@}" \
		'	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"'
}

# Node.js from the npm registry (see toolchain.versions): npm pack checks the tarball against the registry's sha512.
build_node() {
	local arch dir=$SRC/node
	case $(uname -m) in
	x86_64) arch=x64 ;;
	aarch64) arch=arm64 ;;
	*)
		echo "no Node.js build for $(uname -m) on the npm registry: install Node.js $NODE_MAJOR (nodejs.org or nvm)"
		return 1
		;;
	esac
	rm -rf "$dir" "$NODE_DIR.new"
	mkdir -p "$dir" "$NODE_DIR.new/bin"
	(cd "$dir" && npm pack --ignore-scripts --loglevel=warn "node-linux-$arch@$NODE_VERSION")
	tar -xzf "$dir/node-linux-$arch-$NODE_VERSION.tgz" -C "$dir" package/bin/node package/LICENSE
	install -m 0755 "$dir/package/bin/node" "$NODE_DIR.new/bin/node"
	cp "$dir/package/LICENSE" "$NODE_DIR.new/LICENSE"
	[[ "$("$NODE_DIR.new/bin/node" --version)" == "v$NODE_VERSION" ]]
	rm -rf "$NODE_DIR" "$dir"
	mv "$NODE_DIR.new" "$NODE_DIR"
	"$NODE_DIR/bin/node" --version
}

build_pulumi() {
	pulumi_wrapper
	cd "$SRC/pulumi"
	"${GOBUILD[@]}" -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
		-o "$BIN/pulumi.new" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
	mv "$BIN/pulumi.new" "$BIN/pulumi"
	pulumi_env
	"$BIN/pulumi" version
}

# vendor_build TARGET: ../shared/vendor/build-plugins.sh builds one plugin into $CACHE/plugins-build/bin.
vendor_build() {
	[[ -x $VENDOR/build-plugins.sh ]] || {
		echo "the plugin sources are missing: $VENDOR/build-plugins.sh not found (set ISTIO_MESH_VENDOR to the vendor folder)"
		return 1
	}
	WORK=$CACHE/plugins-build VENDOR=$VENDOR bash "$VENDOR/build-plugins.sh" "$1"
}

build_pulumi-language-nodejs() {
	vendor_build langhost
	install -m 0755 "$CACHE/plugins-build/bin/pulumi-language-nodejs" "$BIN/pulumi-language-nodejs"
	# The shim the Node.js SDK expects next to the CLI for dynamic providers, from sdk/v3 (policy packs run
	# through the language host itself in this CLI).
	local sdk
	sdk=$(module_dir "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")
	install -m 0755 "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
	upstream_binary "$BIN/pulumi-language-nodejs" "${PLUGIN_MAIN[pulumi-language-nodejs]}"
	"$BIN/pulumi-language-nodejs" --version
}

# install_plugin KIND NAME VERSION BINARY: into PULUMI_HOME, without any download.
install_plugin() {
	pulumi_env
	[[ -x $BIN/pulumi ]] || { echo "pulumi CLI missing: build target 'pulumi' first"; return 1; }
	"$BIN/pulumi" plugin rm "$1" "$2" --yes >/dev/null 2>&1 || true
	"$BIN/pulumi" plugin install "$1" "$2" "v$3" --file "$4"
	"$BIN/pulumi" plugin ls
}

build_pulumi-resource-kubernetes() {
	vendor_build kubernetes
	upstream_binary "$CACHE/plugins-build/bin/pulumi-resource-kubernetes" "${PLUGIN_MAIN[pulumi-resource-kubernetes]}"
	install_plugin resource kubernetes "$KUBERNETES_PROVIDER_VERSION" "$CACHE/plugins-build/bin/pulumi-resource-kubernetes"
}

build_pulumi-resource-command() {
	vendor_build command
	upstream_binary "$CACHE/plugins-build/bin/pulumi-resource-command" "${PLUGIN_MAIN[pulumi-resource-command]}"
	install_plugin resource command "$COMMAND_PROVIDER_VERSION" "$CACHE/plugins-build/bin/pulumi-resource-command"
}

kubernetes_wrapper() {
	local dir=$SRC/kubernetes mod replaces="" staging
	# k8s.io/kubernetes replaces its staging modules with ./staging/...; point them at the published copies.
	staging=$(curl -fsS "${GOPROXY%%,*}/k8s.io/kubernetes/@v/v$KUBERNETES_VERSION.mod" 2>/dev/null |
		sed -n 's#^\t\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' || true)
	if [[ -z $staging ]]; then
		# proxy not reachable by curl (e.g. GOPROXY=off with a warm cache): read the go.mod from the cache
		staging=$(sed -n 's#^\t\(k8s.io/[^ ]*\) => ./staging/.*#\1#p' \
			"$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$KUBERNETES_VERSION.mod")
	fi
	for mod in $staging; do replaces+="	$mod => $mod v$KUBERNETES_STAGING_VERSION"$'\n'; done
	wrapper_module "$dir" istio-mesh-toolchain/kubernetes 1.24.0 \
		"	k8s.io/kubernetes v$KUBERNETES_VERSION" "${replaces%$'\n'}" \
		'	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"'
}

build_kube() { # command name
	kubernetes_wrapper
	cd "$SRC/kubernetes"
	local minor=${KUBERNETES_VERSION#*.}
	minor=${minor%%.*}
	local date x="" pkg
	date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		x+=" -X $pkg.gitVersion=v$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
		x+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
	done
	"${GOBUILD[@]}" -ldflags "-s -w$x" -o "$BIN/$1" "k8s.io/kubernetes/cmd/$1"
	"$BIN/$1" --version 2>/dev/null || "$BIN/$1" version --client
}
build_kube-apiserver() { build_kube kube-apiserver; }
build_kube-controller-manager() { build_kube kube-controller-manager; }
build_kube-scheduler() { build_kube kube-scheduler; }
build_kubectl() { build_kube kubectl; }

build_etcd() {
	# Debian 12's etcd-server is 3.4.23, older than kube-apiserver 1.34 supports, so build etcd 3.6.
	# etcd/server/v3's go.mod replaces its sibling modules with ../; require the published ones instead.
	local v=v$ETCD_VERSION
	wrapper_module "$SRC/etcd" istio-mesh-toolchain/etcd 1.24 \
		"	go.etcd.io/etcd/api/v3 $v
	go.etcd.io/etcd/client/pkg/v3 $v
	go.etcd.io/etcd/client/v3 $v
	go.etcd.io/etcd/pkg/v3 $v
	go.etcd.io/etcd/server/v3 $v" "" '	_ "go.etcd.io/etcd/server/v3"'
	cd "$SRC/etcd"
	"${GOBUILD[@]}" -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
	"$BIN/etcd" --version
}

kwok_wrapper() {
	wrapper_module "$SRC/kwok" istio-mesh-toolchain/kwok 1.26.0 "	sigs.k8s.io/kwok v$KWOK_VERSION" "" \
		'	_ "sigs.k8s.io/kwok/cmd/kwok"
	_ "sigs.k8s.io/kwok/cmd/kwokctl"'
}
build_kwok() {
	kwok_wrapper
	cd "$SRC/kwok"
	"${GOBUILD[@]}" -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" -o "$BIN/kwok" sigs.k8s.io/kwok/cmd/kwok
	"$BIN/kwok" --version
}
build_kwokctl() {
	kwok_wrapper
	cd "$SRC/kwok"
	"${GOBUILD[@]}" -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION" -o "$BIN/kwokctl" sigs.k8s.io/kwok/cmd/kwokctl
	"$BIN/kwokctl" --version
}

build_istioctl() { # minor
	local m=$1 modver chartver dir
	modver=$(istio_module_version "$m")
	chartver=$(istio_chart_version "$m")
	dir=$SRC/istio-$m
	mkdir -p "$dir/stub-agentgateway-api"
	printf 'module github.com/agentgateway/agentgateway/api\n\ngo 1.24\n' >"$dir/stub-agentgateway-api/go.mod"
	wrapper_module "$dir" istio-mesh-toolchain/istio 1.26.0 "	istio.io/istio $modver" \
		"$(istio_replaces ./stub-agentgateway-api)" '	_ "istio.io/istio/istioctl/cmd/istioctl"'
	cd "$dir"
	local p=istio.io/istio/pkg/version sha=${modver##*-}
	"${GOBUILD[@]}" -ldflags "-s -w -X $p.buildVersion=$chartver -X $p.buildGitRevision=$sha -X $p.buildStatus=Clean \
		-X $p.buildTag=$chartver -X $p.buildHub=docker.io/istio -X $p.buildOS=linux -X $p.buildArch=$(go env GOARCH)" \
		-o "$BIN/istioctl-$m" istio.io/istio/istioctl/cmd/istioctl
	"$BIN/istioctl-$m" version --remote=false
}

# istio_replaces AGENTGATEWAY_API: the replace lines both Istio commits need (see toolchain.versions); the
# agentgateway api module goes to AGENTGATEWAY_API (a directory or a version).
istio_replaces() {
	local cp=github.com/envoyproxy/go-control-plane ag=github.com/agentgateway/agentgateway/api
	local to=$1
	[[ $to == ./* ]] || to="$ag $to"
	printf '%s\n' "	istio.io/api => istio.io/api $ISTIO_API_VERSION" \
		"	istio.io/client-go => istio.io/client-go $ISTIO_CLIENT_GO_VERSION" \
		"	$cp/envoy => $cp/envoy $ENVOY_GO_CONTROL_PLANE_ENVOY_VERSION" \
		"	$cp/contrib => $cp/contrib $ENVOY_GO_CONTROL_PLANE_CONTRIB_VERSION" \
		"	$ag => $to"
}

# pilot-discovery (istiod) of a minor, from the same istio.io/istio version as its istioctl: the local cluster
# runs one per revision as a local process, so that pods are really injected (tools/offline/cluster.sh).
build_pilot_discovery() { # minor
	local m=$1 modver chartver dir
	modver=$(istio_module_version "$m")
	chartver=$(istio_chart_version "$m")
	dir=$SRC/pilot-discovery-$m
	wrapper_module "$dir" istio-mesh-toolchain/pilot-discovery 1.26.0 "	istio.io/istio $modver" \
		"$(istio_replaces "$AGENTGATEWAY_API_VERSION")" '	_ "istio.io/istio/pilot/cmd/pilot-discovery"'
	cd "$dir"
	local p=istio.io/istio/pkg/version sha=${modver##*-}
	"${GOBUILD[@]}" -ldflags "-s -w -X $p.buildVersion=$chartver -X $p.buildGitRevision=$sha -X $p.buildStatus=Clean \
		-X $p.buildTag=$chartver -X $p.buildHub=docker.io/istio -X $p.buildOS=linux -X $p.buildArch=$(go env GOARCH)" \
		-o "$BIN/pilot-discovery-$m.new" istio.io/istio/pilot/cmd/pilot-discovery
	mv "$BIN/pilot-discovery-$m.new" "$BIN/pilot-discovery-$m"
	"$BIN/pilot-discovery-$m" version --short
}

# The CONNECT proxy kube-apiserver's egress goes through (tools/offline/egress-proxy, stdlib only); its version
# is a digest of its source, so an edit rebuilds it.
egress_proxy_version() {
	cat "$SCRIPT_DIR/egress-proxy/go.mod" "$SCRIPT_DIR/egress-proxy/main.go" | sha256sum | cut -c1-12
}
build_egress-proxy() {
	cd "$SCRIPT_DIR/egress-proxy"
	GOFLAGS=-trimpath go build -o "$BIN/egress-proxy" .
}

# Prometheus from Debian's package (see toolchain.versions for why): downloaded by apt, unpacked, never installed.
build_prometheus() {
	local dir=$SRC/prometheus-deb
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && apt-get download "prometheus=$PROMETHEUS_DEB_VERSION")
	dpkg -x "$dir"/prometheus_*.deb "$dir/root"
	install -m 0755 "$dir/root/usr/bin/prometheus" "$BIN/prometheus"
	rm -rf "$dir"
	"$BIN/prometheus" --version
}

build_charts() { # minor: export charts from the module cache, stamped with a real version
	local m=$1 modver chartver src dst name from
	modver=$(istio_module_version "$m")
	chartver=$(istio_chart_version "$m")
	src=$(module_dir "istio.io/istio@$modver")
	dst=$CHARTS/$m
	rm -rf "$dst.tmp"
	mkdir -p "$dst.tmp"
	for name in base:base istiod:istio-control/istio-discovery gateway:gateway cni:istio-cni ztunnel:ztunnel; do
		from=$src/manifests/charts/${name#*:}
		cp -r "$from" "$dst.tmp/${name%%:*}"
	done
	chmod -R u+w "$dst.tmp"
	for name in base istiod gateway cni ztunnel; do
		sed -i -e "s/^version: .*/version: $chartver/" -e "s/^appVersion: .*/appVersion: $chartver/" \
			"$dst.tmp/$name/Chart.yaml"
	done
	printf '%s\n' "$chartver" >"$dst.tmp/VERSION"
	printf 'istio.io/istio %s\n' "$modver" >"$dst.tmp/SOURCE"
	rm -rf "$dst"
	mv "$dst.tmp" "$dst"
	grep -H '^version:' "$dst"/*/Chart.yaml
}

# Names by exact version (the program's `{version}` patterns): bin/istioctl-<version>, charts/<version>;
# `istioctl` is the newer minor. Refreshed after every build run.
link_aliases() {
	local m v
	for m in "${ISTIO_MINORS[@]}"; do
		v=$(istio_chart_version "$m")
		if [[ -x $BIN/istioctl-$m ]]; then ln -sfn "istioctl-$m" "$BIN/istioctl-$v"; fi
		if [[ -d $CHARTS/$m ]]; then ln -sfn "$m" "$CHARTS/$v"; fi
	done
	if [[ -x $BIN/istioctl-$ISTIO_NEW_MINOR ]]; then ln -sfn "istioctl-$ISTIO_NEW_MINOR" "$BIN/istioctl"; fi
}

build_ztunnel_chart() { # minor: ambient's ztunnel chart beside the others, for a cache whose charts predate it
	local m=$1 src dst chartver
	chartver=$(istio_chart_version "$m")
	src=$(module_dir "istio.io/istio@$(istio_module_version "$m")")
	dst=$CHARTS/$m/ztunnel
	mkdir -p "$CHARTS/$m"
	rm -rf "$dst.tmp"
	cp -r "$src/manifests/charts/ztunnel" "$dst.tmp"
	chmod -R u+w "$dst.tmp"
	sed -i -e "s/^version: .*/version: $chartver/" -e "s/^appVersion: .*/appVersion: $chartver/" "$dst.tmp/Chart.yaml"
	rm -rf "$dst"
	mv "$dst.tmp" "$dst"
	grep -H '^version:' "$dst/Chart.yaml"
}

build_target() { # name
	case $1 in
	ztunnel-chart-*) build_ztunnel_chart "${1#ztunnel-chart-}" ;;
	istioctl-*) build_istioctl "${1#istioctl-}" ;;
	charts-*) build_charts "${1#charts-}" ;;
	pilot-discovery-*) build_pilot_discovery "${1#pilot-discovery-}" ;;
	gateway-api-*) go mod download -x "sigs.k8s.io/gateway-api@v${1#gateway-api-}" ;;
	*) "build_$1" ;;
	esac
}

# ------------------------------------------------------------------------------------------------
# modes

mode_env() {
	local path=$BIN
	if node_needed && stamp_ok node "$NODE_VERSION" "$NODE_DIR/bin/node"; then path=$NODE_DIR/bin:$BIN; fi
	cat <<EOF
export ISTIO_MESH_TOOLCHAIN='$CACHE'
export PATH='$path':"\$PATH"
export PULUMI_HOME='$TOOLCHAIN_PULUMI_HOME'
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
# The CLI writes an automatic log of every command into \$PULUMI_HOME/logs and, at each start, deletes the oldest past
# 7 days or past this total (its default 500 MB): the harness's runs keep 100 MB (README, Performance).
export PULUMI_LOG_ROTATION_MAX_TOTAL_MB=100
export ISTIO_MESH_CHARTS='$CHARTS'
export GOMODCACHE='$GOMODCACHE'
export ISTIO_MESH_ISTIO_OLD='$ISTIO_OLD_CHART_VERSION' ISTIO_MESH_ISTIO_NEW='$ISTIO_NEW_CHART_VERSION'
EOF
}

mode_check() {
	local missing=0 name ver req path
	while IFS='|' read -r name ver req path; do
		[[ $req == 1 ]] || continue
		if [[ ! -e $path ]]; then
			echo "missing: $name $ver ($path)"
			missing=1
		elif ! stamp_ok "$name" "$ver" "$path"; then
			if [[ -n ${PLUGIN_MAIN[$name]:-} ]] && ! upstream_binary "$path" "${PLUGIN_MAIN[$name]}"; then
				echo "missing: $name $ver ($path is not built from ${PLUGIN_MAIN[$name]}: a stand-in or a partial build; rebuild with: bash $SCRIPT_DIR/toolchain.sh --only $name)"
			else
				echo "missing: $name $ver (present but built at '$(cat "$STAMPS/$name" 2>/dev/null || echo unknown)'; rebuild with: bash $SCRIPT_DIR/toolchain.sh --only $name)"
			fi
			missing=1
		fi
	done < <(targets)
	return $missing
}

mode_list() {
	local name ver req path
	while IFS='|' read -r name ver req path; do
		printf '%-28s %-28s %s\n' "$name" "$ver" "$path"
	done < <(targets)
}

print_summary() {
	local name ver req path state
	echo
	echo "toolchain in $CACHE:"
	printf '  %-28s %-28s %-8s %s\n' NAME VERSION STATE PATH
	while IFS='|' read -r name ver req path; do
		if stamp_ok "$name" "$ver" "$path"; then state=ok; else state=MISSING; fi
		printf '  %-28s %-28s %-8s %s\n' "$name" "$ver" "$state" "$path"
	done < <(targets)
	echo
	echo "use it:  eval \"\$($SCRIPT_DIR/toolchain.sh --env)\""
}

mode_build() {
	local only=${1:-}
	mkdir -p "$BIN" "$SRC" "$LOGS" "$STAMPS" "$CHARTS" "$TOOLCHAIN_PULUMI_HOME"
	# Provider binaries live outside bin/ (on PATH, pulumi would warn "using ... from $PATH"): only PULUMI_HOME.
	rm -f "$BIN/pulumi-resource-kubernetes" "$BIN/pulumi-resource-command"
	# Left by builds that used stand-in plugins (before the real ones were built from ../shared/vendor).
	rm -rf "$CACHE/providers" "$SRC/nodejs-host" "$SRC/kubernetes-standin" "$SRC/command-standin"
	[[ $only == node ]] || command -v go >/dev/null || { echo "go is required" >&2; exit 1; }
	# One build at a time per cache folder.
	exec 9>"$CACHE/.build.lock"
	if ! flock -n 9; then
		echo "another tools/offline/toolchain.sh is building in $CACHE; waiting for it" >&2
		flock 9
	fi
	local failed=() name ver req path start secs rc
	while IFS='|' read -r name ver req path; do
		if [[ -n $only && ",$only," != *",$name,"* ]]; then continue; fi
		if stamp_ok "$name" "$ver" "$path"; then
			echo "== $name $ver: up to date"
			continue
		fi
		echo "== $name $ver: building (log: $LOGS/$name.log)"
		start=$(date +%s)
		set +e
		(
			set -euo pipefail
			build_target "$name"
		) >"$LOGS/$name.log" 2>&1 </dev/null
		rc=$?
		set -e
		secs=$(($(date +%s) - start))
		if [[ $rc == 0 && -e $path ]]; then
			printf '%s\n' "$ver" >"$STAMPS/$name"
			printf '%s %s %s %ss ok\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$ver" "$secs" >>"$TIMES"
			echo "   ok in ${secs}s"
		else
			rm -f "$STAMPS/$name"
			printf '%s %s %s %ss FAILED\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$name" "$ver" "$secs" >>"$TIMES"
			echo "   FAILED after ${secs}s: $name (log: $LOGS/$name.log; retry: bash $SCRIPT_DIR/toolchain.sh --only $name); its last lines:"
			tail -n 15 "$LOGS/$name.log" | sed 's/^/   | /'
			[[ $req == 1 ]] && failed+=("$name")
		fi
	done < <(targets)
	link_aliases
	print_summary
	if ((${#failed[@]})); then
		echo "FAILED (required): ${failed[*]}" >&2
		return 1
	fi
}

main() {
	case ${1:-} in
	--check) mode_check ;;
	--env) mode_env ;;
	--list) mode_list ;;
	--only) mode_build "${2:?--only needs a comma-separated list of targets}" ;;
	"" | --build) mode_build ;;
	-h | --help) sed -n '2,25p' "$0" ;;
	*)
		echo "unknown argument: $1 (try --help)" >&2
		exit 2
		;;
	esac
}

# One line, read whole before it runs: editing this file while it runs cannot derail it.
main "$@"; exit $?
