/**
 * A corpus of stack configs a new user might write. Every bad one is refused before any resource is registered,
 * with an error naming its key path (pure, and under Pulumi's mocks through the real program); every tricky
 * valid one is accepted. No case may end in anything but the program's own config error.
 */
import * as assert from "assert";
import * as os from "os";
import * as path from "path";
import { Disk, MeshConfigError, parseMeshConfig, RawConfig, rawConfigFromPulumi } from "../../model/config";
import { MeshState } from "../../model/facts";
import { ofType, ProgramError, runProgram, TYPES } from "../support/mocks";

/** A valid config, copied and changed by each case. */
function base(): Record<string, any> {
    return {
        revisions: [{ version: "1.29.3" }, { version: "1.30.2" }],
        tags: { default: "1-29", canary: "1-30" },
        namespaces: { shop: "default" },
        gateways: [{ name: "ingress", namespace: "istio-ingress", revision: "default" }],
    };
}
function withBase(change: (c: Record<string, any>) => void): Record<string, any> {
    const c = base();
    change(c);
    return c;
}
const gw = (change: Record<string, unknown>) => withBase(c => Object.assign(c.gateways[0], change));
const rev = (change: Record<string, unknown>) => withBase(c => Object.assign(c.revisions[1], change));

/** A recorded state of a stack that ran `base()` applied to a cluster. */
const LIVE: MeshState = {
    revisions: { "1-29": { version: "1.29.3" }, "1-30": { version: "1.30.2" } },
    tags: { default: "1-29", canary: "1-30" },
    namespaces: { shop: { target: "default", revision: "1-29", version: "1.29.3" } },
    gateways: { "istio-ingress/ingress": { target: "default", revision: "1-29", version: "1.29.3" } },
    placement: { istioNamespace: "istio-system", renderDirectory: "", context: "" },
};
const DOCKER_CONFIG = JSON.stringify({ auths: { "registry.example.com": { auth: "dXNlcjpwYXNz" } } });

interface Case {
    config: Record<string, any>;
    /** The key path the error must name (without the istio-mesh: prefix). */
    key: string;
    previous?: MeshState;
    /** Set as secret config. */
    secrets?: Record<string, string>;
    /** Refused only once the disk is looked at: the pure parse is given the real one, as the program is. */
    disk?: boolean;
}

const longName = "r".repeat(57);
const BAD: Record<string, Case> = {
    // Unknown keys at every depth, each a typo of a real one.
    "kubernetes.kubeConfig (capital C)": { config: withBase(c => c.kubernetes = { kubeConfig: "/k" }), key: "kubernetes.kubeConfig" },
    "kubernetes.Context": { config: withBase(c => c.kubernetes = { Context: "prod" }), key: "kubernetes.Context" },
    "charts.localdir": { config: withBase(c => c.charts = { localdir: "/srv" }), key: "charts.localdir" },
    "charts.Renderer": { config: withBase(c => c.charts = { Renderer: "helm" }), key: "charts.Renderer" },
    "charts.repo": { config: withBase(c => c.charts = { repo: "oci://x" }), key: "charts.repo" },
    "gateways[].servicetype": { config: gw({ servicetype: "NodePort" }), key: "gateways[0].servicetype" },
    "gateways[].replica": { config: gw({ replica: 3 }), key: "gateways[0].replica" },
    "gateways[].podDisruptionBudget.minavailable": { config: gw({ replicas: 3, podDisruptionBudget: { minavailable: 1 } }), key: "gateways[0].podDisruptionBudget.minavailable" },
    "gateways[].ns": { config: gw({ ns: "edge" }), key: "gateways[0].ns" },
    "revisions[].verison": { config: rev({ verison: "1.30.3" }), key: "revisions[1].verison" },
    "revisions[].value": { config: rev({ value: {} }), key: "revisions[1].value" },
    "cni.enable": { config: withBase(c => c.cni = { enable: true }), key: "cni.enable" },
    "cni.chainned": { config: withBase(c => c.cni = { enabled: true, chainned: false }), key: "cni.chainned" },
    "registry.hubs": { config: withBase(c => c.registry = { hubs: "r.example.com/istio" }), key: "registry.hubs" },
    "registry.imagePullSecret": { config: withBase(c => c.registry = { imagePullSecret: ["a"] }), key: "registry.imagePullSecret" },
    "promotion.sourc": { config: withBase(c => c.promotion = { sourc: "staging", soak: "1d" }), key: "promotion.sourc" },
    "acknowledge.istionamespace": { config: withBase(c => c.acknowledge = { istionamespace: "mesh" }), key: "acknowledge.istionamespace" },
    "top-level restarttimeout": { config: withBase(c => c.restarttimeout = "5m"), key: "restarttimeout" },
    "top-level istioNamespaces": { config: withBase(c => c.istioNamespaces = "mesh"), key: "istioNamespaces" },
    "top-level gateway (singular)": { config: withBase(c => c.gateway = []), key: "gateway" },
    "top-level revision (singular)": { config: withBase(c => c.revision = "1-30"), key: "revision" },

    // Types at every depth.
    "revisions as text": { config: withBase(c => c.revisions = "1.30.2"), key: "revisions" },
    "revisions empty": { config: withBase(c => c.revisions = []), key: "revisions" },
    "revisions missing": { config: withBase(c => delete c.revisions), key: "revisions" },
    "revisions[].version a YAML number": { config: rev({ version: 1.3 }), key: "revisions[1].version" },
    "revisions[] as text": { config: withBase(c => c.revisions[1] = "1.30.2"), key: "revisions[1]" },
    "revisions: [null] (a dangling - in YAML)": { config: withBase(c => c.revisions = [null]), key: "revisions[0]" },
    "gateways: [null] (a dangling - in YAML)": { config: withBase(c => c.gateways = [null]), key: "gateways[0]" },
    "a revision after a dangling -": { config: withBase(c => c.revisions.splice(1, 0, null)), key: "revisions[1]" },
    "gateways[] as text": { config: withBase(c => c.gateways[0] = "ingress"), key: "gateways[0]" },
    "tags.default with no value": { config: withBase(c => c.tags.default = null), key: "tags.default" },
    "namespaces.shop with no value": { config: withBase(c => c.namespaces.shop = null), key: "namespaces.shop" },
    "registry.imagePullSecrets: [null]": { config: withBase(c => c.registry = { imagePullSecrets: [null] }), key: "registry.imagePullSecrets[0]" },
    "gateways[].podDisruptionBudget as a number": { config: gw({ podDisruptionBudget: 1 }), key: "gateways[0].podDisruptionBudget" },
    "revisions[].values as a list": { config: rev({ values: [{ pilot: {} }] }), key: "revisions[1].values" },
    "revisions[].name a number": { config: rev({ name: 130 }), key: "revisions[1].name" },
    "revisions[].values as text": { config: rev({ values: "pilot.env.X=1" }), key: "revisions[1].values" },
    "tags as a list": { config: withBase(c => c.tags = ["default"]), key: "tags" },
    "tags.default a number": { config: withBase(c => c.tags.default = 1), key: "tags.default" },
    "namespaces as text": { config: withBase(c => c.namespaces = "shop"), key: "namespaces" },
    "namespaces.shop a map": { config: withBase(c => c.namespaces.shop = { revision: "1-30" }), key: "namespaces.shop" },
    "gateways as a map": { config: withBase(c => c.gateways = { name: "ingress" }), key: "gateways" },
    "gateways[].replicas as text": { config: gw({ replicas: "2" }), key: "gateways[0].replicas" },
    "gateways[].replicas a fraction": { config: gw({ replicas: 1.5 }), key: "gateways[0].replicas" },
    "gateways[].serviceType lowercase": { config: gw({ serviceType: "loadbalancer" }), key: "gateways[0].serviceType" },
    "gateways[].name missing": { config: withBase(c => delete c.gateways[0].name), key: "gateways[0].name" },
    "gateways[].revision missing": { config: withBase(c => delete c.gateways[0].revision), key: "gateways[0].revision" },
    "cni.enabled as text": { config: withBase(c => c.cni = { enabled: "true" }), key: "cni.enabled" },
    "cni as a boolean": { config: withBase(c => c.cni = true), key: "cni" },
    "charts.renderer unknown": { config: withBase(c => c.charts = { renderer: "kustomize" }), key: "charts.renderer" },
    "registry.imagePullSecrets as text": { config: withBase(c => c.registry = { imagePullSecrets: "a" }), key: "registry.imagePullSecrets" },
    "kubernetes as a path": { config: withBase(c => c.kubernetes = "~/.kube/config"), key: "kubernetes" },
    "promotion without soak": { config: withBase(c => c.promotion = { from: "acme/istio-mesh/staging" }), key: "promotion.soak" },
    "podDisruptionBudget.minAvailable as a word": { config: gw({ podDisruptionBudget: { minAvailable: "half" } }), key: "gateways[0].podDisruptionBudget.minAvailable" },

    // Values that look like JSON but are not (pulumi config set with YAML flow syntax).
    "revisions in YAML flow syntax": { config: withBase(c => c.revisions = "[{version: 1.30.2}]"), key: "revisions" },
    "tags in YAML flow syntax": { config: withBase(c => c.tags = "{default: 1-30}"), key: "tags" },
    "gateways cut short": { config: withBase(c => c.gateways = "[{\"name\": \"ingress\""), key: "gateways" },
    "kubernetes in YAML flow syntax": { config: withBase(c => c.kubernetes = "{kubeconfig: /k}"), key: "kubernetes" },

    // Revisions and tags.
    "version without patch": { config: rev({ version: "1.30" }), key: "revisions[1].version" },
    "version latest": { config: rev({ version: "latest" }), key: "revisions[1].version" },
    "version 2.0.0 (no such release)": { config: rev({ version: "2.0.0" }), key: "revisions[1].version" },
    "version 1.99.0 (no such release)": { config: rev({ version: "1.99.0" }), key: "revisions[1].version" },
    "version 1.10.0 (older than the program renders)": { config: rev({ version: "1.10.0" }), key: "revisions[1].version" },
    "revision name with a dot": { config: rev({ name: "1.30" }), key: "revisions[1].name" },
    "revision named default": { config: rev({ name: "default" }), key: "revisions[1].name" },
    "revision name uppercase": { config: rev({ name: "Stable" }), key: "revisions[1].name" },
    "revision name too long once istiod-<name>": { config: withBase(c => { c.revisions[1].name = longName; c.tags.canary = longName; }), key: "revisions[1].name" },
    "duplicate revision names": { config: withBase(c => c.revisions[1] = { version: "1.29.4", name: "1-29" }), key: "revisions[1].name" },
    "tag to an unknown revision": { config: withBase(c => c.tags.default = "1-28"), key: "tags.default" },
    "tag to a tag": { config: withBase(c => c.tags.stable = "canary"), key: "tags.stable" },
    "tag named like a revision": { config: withBase(c => c.tags["1-30"] = "1-29"), key: "tags.1-30" },
    "tag name uppercase": { config: withBase(c => c.tags.Canary = "1-30"), key: "tags.Canary" },
    "tag name too long once istiod-revision-tag-<tag>": { config: withBase(c => c.tags["t".repeat(45)] = "1-30"), key: `tags.${"t".repeat(45)}` },

    // Namespaces and gateways.
    "istio namespace as an application namespace": { config: withBase(c => c.namespaces["istio-system"] = "1-30"), key: "namespaces.istio-system" },
    "kube-system as an application namespace": { config: withBase(c => c.namespaces["kube-system"] = "1-30"), key: "namespaces.kube-system" },
    "namespace to a missing revision": { config: withBase(c => c.namespaces.shop = "1-31"), key: "namespaces.shop" },
    "namespace name not a DNS label": { config: withBase(c => c.namespaces.Shop = "1-30"), key: "namespaces.Shop" },
    "two gateways with one name": { config: withBase(c => c.gateways.push({ ...c.gateways[0] })), key: "gateways[1].name" },
    "gateway name uppercase": { config: gw({ name: "Ingress" }), key: "gateways[0].name" },
    "gateway name starting with a digit (not a Service name)": { config: gw({ name: "1gw" }), key: "gateways[0].name" },
    "gateway namespace not a DNS label": { config: gw({ namespace: "Edge" }), key: "gateways[0].namespace" },
    "gateway to a missing revision": { config: gw({ revision: "nope" }), key: "gateways[0].revision" },
    "gateway with no replica": { config: gw({ replicas: 0 }), key: "gateways[0].replicas" },
    "PodDisruptionBudget on one replica": { config: gw({ replicas: 1, podDisruptionBudget: { minAvailable: 1 } }), key: "gateways[0].podDisruptionBudget" },
    "PodDisruptionBudget with both fields": { config: gw({ podDisruptionBudget: { minAvailable: 1, maxUnavailable: 1 } }), key: "gateways[0].podDisruptionBudget" },
    "minAvailable equal to replicas": { config: gw({ replicas: 2, podDisruptionBudget: { minAvailable: 2 } }), key: "gateways[0].podDisruptionBudget.minAvailable" },
    "minAvailable 100%": { config: gw({ replicas: 3, podDisruptionBudget: { minAvailable: "100%" } }), key: "gateways[0].podDisruptionBudget.minAvailable" },
    "minAvailable 51% of 2 (rounds up to 2)": { config: gw({ replicas: 2, podDisruptionBudget: { minAvailable: "51%" } }), key: "gateways[0].podDisruptionBudget.minAvailable" },
    "maxUnavailable 0": { config: gw({ replicas: 3, podDisruptionBudget: { maxUnavailable: 0 } }), key: "gateways[0].podDisruptionBudget.maxUnavailable" },
    "maxUnavailable 0%": { config: gw({ replicas: 3, podDisruptionBudget: { maxUnavailable: "0%" } }), key: "gateways[0].podDisruptionBudget.maxUnavailable" },

    // Chart values that contradict the program.
    "values.revision": { config: rev({ values: { revision: "other" } }), key: "revisions[1].values.revision" },
    "values.global.istioNamespace": { config: rev({ values: { global: { istioNamespace: "mesh" } } }), key: "revisions[1].values.global.istioNamespace" },
    "values.pilot.cni.enabled without cni": { config: rev({ values: { pilot: { cni: { enabled: true } } } }), key: "revisions[1].values.pilot.cni.enabled" },
    "values.global.hub beside registry.hub": { config: withBase(c => { c.registry = { hub: "r.example.com/istio" }; c.revisions[1].values = { global: { hub: "docker.io/istio" } }; }), key: "revisions[1].values.global.hub" },
    "gateway values.service.type": { config: gw({ values: { service: { type: "NodePort" } } }), key: "gateways[0].values.service.type" },
    "gateway values.replicaCount": { config: gw({ values: { replicaCount: 5 } }), key: "gateways[0].values.replicaCount" },
    "gateway values.autoscaling.enabled": { config: gw({ values: { autoscaling: { enabled: true } } }), key: "gateways[0].values.autoscaling.enabled" },
    "cni values.global.istioNamespace": { config: withBase(c => c.cni = { enabled: true, values: { global: { istioNamespace: "mesh" } } }), key: "cni.values.global.istioNamespace" },

    // Sources, images and the rest.
    "cni.namespace not a DNS name": { config: withBase(c => c.cni = { enabled: true, namespace: "Kube System" }), key: "cni.namespace" },
    "cni.version not exact": { config: withBase(c => c.cni = { enabled: true, version: "1.29" }), key: "cni.version" },
    "charts.repository without scheme": { config: withBase(c => c.charts = { repository: "ghcr.io/istio" }), key: "charts.repository" },
    "charts.repository oci:// with no host": { config: withBase(c => c.charts = { repository: "oci://" }), key: "charts.repository" },
    "charts.repository with a space": { config: withBase(c => c.charts = { repository: "https://charts example.com/istio" }), key: "charts.repository" },
    "charts.repository a file path URL": { config: withBase(c => c.charts = { repository: "file:///srv/charts" }), key: "charts.repository" },
    "charts.localDir without {version} for two versions": { config: withBase(c => c.charts = { localDir: "/srv/istio" }), key: "charts.localDir" },
    "cni.chained while CNI is unset": { config: withBase(c => c.cni = { chained: false }), key: "cni.chained" },
    "cni.version while CNI is off": { config: withBase(c => c.cni = { enabled: false, version: "1.29.3" }), key: "cni.version" },
    "cni.namespace while CNI is off": { config: withBase(c => c.cni = { enabled: false, namespace: "kube-system" }), key: "cni.namespace" },
    "cni.values while CNI is off": { config: withBase(c => c.cni = { values: { cni: { logLevel: "debug" } } }), key: "cni.values" },
    "registry.tag fixed for two versions": { config: withBase(c => c.registry = { tag: "1.30.2-distroless" }), key: "registry.tag" },
    "registry.tag fixed, CNI on another version": {
        config: withBase(c => { c.revisions = [{ version: "1.30.2" }]; c.tags = { default: "1-30" }; c.cni = { enabled: true, version: "1.29.3" }; c.registry = { tag: "distroless" }; }),
        key: "registry.tag",
    },
    "istioctl renderer without istioctl": { config: withBase(c => c.charts = { renderer: "istioctl" }), key: "charts.istioctl" },
    "istioNamespace not a DNS name": { config: withBase(c => c.istioNamespace = "Istio_System"), key: "istioNamespace" },
    "kubernetesVersion latest": { config: withBase(c => c.kubernetesVersion = "latest"), key: "kubernetesVersion" },
    "restartTimeout 0s": { config: withBase(c => c.restartTimeout = "0s"), key: "restartTimeout" },
    "restartTimeout in words": { config: withBase(c => c.restartTimeout = "five minutes"), key: "restartTimeout" },
    "restartTimeout in days (kubectl has no d)": { config: withBase(c => c.restartTimeout = "2d"), key: "restartTimeout" },
    "restartTimeout units out of order": { config: withBase(c => c.restartTimeout = "30s2m"), key: "restartTimeout" },
    "kubernetes.requestTimeout 0s (no deadline at all)": { config: withBase(c => c.kubernetes = { requestTimeout: "0s" }), key: "kubernetes.requestTimeout" },
    "kubernetes.requestTimeout in words": { config: withBase(c => c.kubernetes = { requestTimeout: "half a minute" }), key: "kubernetes.requestTimeout" },
    "rollout.pauseBetween in words": { config: withBase(c => c.rollout = { pauseBetween: "a while" }), key: "rollout.pauseBetween" },
    "rollout.pauseBetween in days": { config: withBase(c => c.rollout = { pauseBetween: "1d" }), key: "rollout.pauseBetween" },
    "renderDirectory /": { config: withBase(c => c.renderDirectory = "/"), key: "renderDirectory" },
    "renderDirectory ..": { config: withBase(c => c.renderDirectory = ".."), key: "renderDirectory" },
    "renderDirectory ../out": { config: withBase(c => c.renderDirectory = "../out"), key: "renderDirectory" },
    "renderDirectory . (the project)": { config: withBase(c => c.renderDirectory = "."), key: "renderDirectory" },
    "renderDirectory ./ (the project)": { config: withBase(c => c.renderDirectory = "./"), key: "renderDirectory" },
    "renderDirectory rendered/.. (the project)": { config: withBase(c => c.renderDirectory = "rendered/.."), key: "renderDirectory" },
    "renderDirectory the project's absolute path": { config: withBase(c => c.renderDirectory = process.cwd()), key: "renderDirectory", disk: true },
    "renderDirectory the project's absolute path, with a trailing /": { config: withBase(c => c.renderDirectory = `${process.cwd()}/`), key: "renderDirectory", disk: true },
    "renderDirectory the directory above the project, absolute": { config: withBase(c => c.renderDirectory = path.dirname(process.cwd())), key: "renderDirectory", disk: true },
    "charts.localDir that does not exist": { config: withBase(c => c.charts = { localDir: "/nonexistent/istio-mesh/{version}" }), key: "charts.localDir", disk: true },
    "hub with a scheme": { config: withBase(c => c.registry = { hub: "https://registry.example.com/istio" }), key: "registry.hub" },
    "hub with a tag": { config: withBase(c => c.registry = { hub: "registry.example.com/istio:1.30.2" }), key: "registry.hub" },
    "hub with a digest": { config: withBase(c => c.registry = { hub: "docker.io/istio@sha256:0123" }), key: "registry.hub" },
    "imagePullSecrets entry not a name": { config: withBase(c => c.registry = { imagePullSecrets: ["Bad_Name"] }), key: "registry.imagePullSecrets[0]" },
    "kubeconfig content instead of a path": { config: withBase(c => c.kubernetes = { kubeconfig: "apiVersion: v1\nkind: Config\n" }), key: "kubernetes.kubeconfig" },
    "promotion.from not a stack name": { config: withBase(c => c.promotion = { from: "a/b/c/d", soak: "1d" }), key: "promotion.from" },

    // Secrets.
    "registryCredentials in plain text": { config: withBase(c => c.registryCredentials = DOCKER_CONFIG), key: "registryCredentials" },
    "registryCredentials not JSON": { config: base(), secrets: { registryCredentials: "user:password" }, key: "registryCredentials" },
    "registryCredentials JSON but no auths": { config: base(), secrets: { registryCredentials: "{\"user\": \"u\"}" }, key: "registryCredentials" },
    "registryCredentials starting like JSON": { config: base(), secrets: { registryCredentials: "{auths: x" }, key: "registryCredentials" },
    "registryCredentials set to nothing": { config: base(), secrets: { registryCredentials: "" }, key: "registryCredentials" },
    "registryCredentials with no auths entry": { config: base(), secrets: { registryCredentials: "{\"auths\": {}}" }, key: "registryCredentials" },
    "registryCredentials whose entry is in a credsStore": {
        config: base(), secrets: { registryCredentials: JSON.stringify({ auths: { "registry.example.com": {} }, credsStore: "desktop" }) }, key: "registryCredentials",
    },
    "registryCredentials with a user but no password": {
        config: base(), secrets: { registryCredentials: JSON.stringify({ auths: { "registry.example.com": { username: "u" } } }) }, key: "registryCredentials",
    },
    "pullSecretName not a name": { config: withBase(c => c.registry = { pullSecretName: "Pull Secret" }), secrets: { registryCredentials: DOCKER_CONFIG }, key: "registry.pullSecretName" },

    // A live stack: what replaces or moves everything needs an acknowledgement of that exact value.
    "renderDirectory set on a live stack": { config: withBase(c => c.renderDirectory = "./rendered"), previous: LIVE, key: "renderDirectory" },
    "istioNamespace moved on a live stack": { config: withBase(c => c.istioNamespace = "mesh"), previous: LIVE, key: "istioNamespace" },
    "kubernetes.context changed on a live stack": { config: withBase(c => c.kubernetes = { context: "other" }), previous: LIVE, key: "kubernetes.context" },
    "acknowledgement of another value": { config: withBase(c => { c.istioNamespace = "mesh"; c.acknowledge = { istioNamespace: "mesh2" }; }), previous: LIVE, key: "istioNamespace" },
    "render mode acknowledged on a live stack, the destroy lock still on": {
        config: withBase(c => { c.renderDirectory = "./rendered"; c.acknowledge = { renderDirectory: "./rendered" }; }), previous: LIVE, key: "decommission",
    },
    "leaving render mode unacknowledged": { config: base(), previous: { ...LIVE, placement: { ...LIVE.placement!, renderDirectory: "./rendered" } }, key: "renderDirectory" },
    "in-place jump of two minors": { config: withBase(c => c.revisions[0] = { version: "1.31.0", name: "1-29" }), previous: LIVE, key: "revisions[0].version" },
    "retiring a revision a namespace uses": { config: withBase(c => { c.revisions = [{ version: "1.30.2" }]; c.tags = { default: "1-30" }; c.namespaces = { shop: "1-29" }; }), previous: LIVE, key: "namespaces.shop" },
};

const GOOD: Record<string, { config: Record<string, any>; previous?: MeshState; secrets?: Record<string, string>; then?: (run: Awaited<ReturnType<typeof runProgram>>) => void }> = {
    "restartTimeout 1h30m": { config: withBase(c => c.restartTimeout = "1h30m") },
    "restartTimeout 2m30s": { config: withBase(c => c.restartTimeout = "2m30s") },
    "kubernetes.requestTimeout 1m30s": { config: withBase(c => c.kubernetes = { requestTimeout: "1m30s" }) },
    "rollout.pauseBetween 1m30s, as restartTimeout takes it": { config: withBase(c => c.rollout = { pauseBetween: "1m30s" }) },
    "rollout.pauseBetween 0s (no pause)": { config: withBase(c => c.rollout = { pauseBetween: "0s" }) },
    "two revisions on one version (values changed under a new name)": {
        config: withBase(c => c.revisions.push({ version: "1.30.2", name: "1-30-tuned", values: { pilot: { env: { PILOT_ENABLE_STATUS: "true" } } } })),
        then: run => assert.deepStrictEqual(ofType(run, TYPES.chart).map(r => r.name).filter(n => n.startsWith("istiod-")).sort(), ["istiod-1-29", "istiod-1-30", "istiod-1-30-tuned"]),
    },
    "gateways edge/a-b and edge-a/b": {
        config: withBase(c => c.gateways = [{ name: "a-b", namespace: "edge", revision: "default" }, { name: "b", namespace: "edge-a", revision: "default" }]),
        then: run => assert.deepStrictEqual(ofType(run, TYPES.chart).map(r => r.name).filter(n => n.startsWith("gateway-")).sort(), ["gateway-edge-a/b", "gateway-edge/a-b"]),
    },
    "a revision name of exactly the longest length": { config: withBase(c => { c.revisions[1].name = "r".repeat(56); c.tags.canary = "r".repeat(56); }) },
    "PodDisruptionBudgets that leave a pod evictable": {
        config: withBase(c => c.gateways = [
            { name: "a", namespace: "edge", revision: "default", replicas: 2, podDisruptionBudget: { minAvailable: "50%" } },
            { name: "b", namespace: "edge", revision: "default", replicas: 2, podDisruptionBudget: { maxUnavailable: "10%" } },
            { name: "c", namespace: "edge", revision: "default", replicas: 3, podDisruptionBudget: { minAvailable: 2 } },
        ]),
    },
    "a hub with a port": { config: withBase(c => c.registry = { hub: "registry.example.com:5000/istio" }) },
    "render mode on a first run": { config: withBase(c => c.renderDirectory = "./rendered") },
    "istioNamespace moved with its acknowledgement": { config: withBase(c => { c.istioNamespace = "mesh"; c.acknowledge = { istioNamespace: "mesh" }; }), previous: LIVE },
    "render mode with its acknowledgement on a live stack, the lock lifted": {
        config: withBase(c => { c.renderDirectory = "./rendered"; c.acknowledge = { renderDirectory: "./rendered" }; c.decommission = true; }), previous: LIVE,
    },
    "kubernetesVersion as the API server reports it": { config: withBase(c => c.kubernetesVersion = "v1.33.4") },
    "values that agree with the program, and values it does not own": {
        config: withBase(c => { c.registry = { hub: "r.example.com/istio" }; c.cni = { enabled: true, values: { resources: { requests: { cpu: "50m" } } } };
            c.revisions[1].values = { global: { hub: "r.example.com/istio" }, pilot: { cni: { enabled: true }, resources: { requests: { cpu: "1" } } } }; }),
    },
    "secret registry credentials": { config: base(), secrets: { registryCredentials: DOCKER_CONFIG } },
    "every optional key at its Pulumi.yaml default": {
        config: withBase(c => Object.assign(c, { cni: {}, registry: {}, charts: {}, kubernetes: {}, promotion: {}, acknowledge: {}, kubernetesVersion: "", renderDirectory: "" })),
    },
    "a kubeconfig path and context on a first run": { config: withBase(c => c.kubernetes = { kubeconfig: "/home/sre/.kube/prod", context: "prod" }) },
    "registry.tag with {version}, for two versions": {
        config: withBase(c => c.registry = { tag: "{version}-distroless" }),
        then: run => assert.deepStrictEqual(ofType(run, TYPES.chart).filter(r => r.name.startsWith("istiod-")).map(r => r.inputs.values.global.tag).sort(),
            ["1.29.3-distroless", "1.30.2-distroless"]),
    },
    "a fixed registry.tag for the one version the config runs": {
        config: withBase(c => { c.revisions = [{ version: "1.30.2" }]; c.tags = { default: "1-30" }; c.registry = { tag: "1.30.2-distroless" }; }),
    },
    "cni.enabled: false alone, and an empty cni.values": { config: withBase(c => c.cni = { enabled: false, values: {} }) },
    "charts.localDir without {version}, for the one version the config runs (an existing directory)": {
        config: withBase(c => { c.revisions = [{ version: "1.30.2" }]; c.tags = { default: "1-30" }; c.charts = { localDir: os.tmpdir() }; }),
    },
    "an OCI chart mirror with a port": { config: withBase(c => c.charts = { repository: "oci://registry.example.com:5000/istio/charts" }) },
    "renderDirectory a subdirectory of the project, spelled with ./": { config: withBase(c => c.renderDirectory = "./out/rendered") },
    "registry credentials as username and password": {
        config: base(), secrets: { registryCredentials: JSON.stringify({ auths: { "registry.example.com": { username: "u", password: "p" } } }) },
    },
    "a prerelease of Istio (advised against, not refused)": { config: withBase(c => c.revisions[1].version = "1.30.4-dev.9739e10e") },
};

/** Pulumi's flat config map of a case, as the engine hands it to the program. */
function flat(config: Record<string, any>, secrets: Record<string, string> = {}): Record<string, string> {
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...config, ...secrets })) {
        all[`istio-mesh:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return all;
}

function parseCase(c: { config: Record<string, any>; previous?: MeshState; secrets?: Record<string, string> }, disk?: Disk) {
    const secretKeys = Object.keys(c.secrets ?? {}).map(k => `istio-mesh:${k}`);
    const { raw, hasCredentials } = rawConfigFromPulumi(flat(c.config, c.secrets), k => secretKeys.includes(k));
    return parseMeshConfig(raw as RawConfig, c.previous, hasCredentials, disk);
}

describe("config corpus: bad configs are refused, naming the key, before anything is registered", () => {
    it(`holds at least 80 bad configs and 10 tricky valid ones`, () => {
        assert.ok(Object.keys(BAD).length >= 80, `${Object.keys(BAD).length} bad configs`);
        assert.ok(Object.keys(GOOD).length >= 10, `${Object.keys(GOOD).length} valid configs`);
    });

    for (const [name, c] of Object.entries(BAD)) {
        it(`refuses: ${name}`, async () => {
            let error: unknown;
            try {
                parseCase(c, c.disk ? (await import("../../program")).localDisk() : undefined);
            } catch (e) {
                error = e;
            }
            assert.ok(error instanceof MeshConfigError, `expected the program's config error, got ${error}`);
            assert.ok(error.problems.some(p => p.key === `istio-mesh:${c.key}`), `no problem names ${c.key}:\n${error.message}`);
            for (const p of error.problems) {
                assert.ok(p.fix.length > 0 && p.message.length > 0, `problem without message or fix: ${JSON.stringify(p)}`);
            }
            assert.ok(!error.message.includes("dXNlcjpwYXNz") && !error.message.includes("user:password"), "a secret appears in the error");

            // The real program under mocks: the same error, and no resource registered.
            await assert.rejects(runProgram(c.config, c.previous, c.secrets), (e: ProgramError) => {
                assert.match(e.message, /^invalid istio-mesh stack config/);
                assert.ok(e.message.includes(`istio-mesh:${c.key} `), e.message);
                assert.deepStrictEqual(e.registered.map(r => `${r.type} ${r.name}`), [], "registered before refusing");
                return true;
            });
        });
    }
});

describe("config corpus: tricky valid configs are accepted", () => {
    for (const [name, c] of Object.entries(GOOD)) {
        it(`accepts: ${name}`, async () => {
            parseCase(c);
            const run = await runProgram(c.config, c.previous, c.secrets);
            assert.ok(ofType(run, TYPES.chart).length > 0, "no chart registered");
            c.then?.(run);
        });
    }
});
