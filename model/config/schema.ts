/**
 * The one schema of the stack config: every key at every depth with its type, default, secret flag and doc text.
 * Validation (check.ts), the `Pulumi.yaml` config block and the README's configuration reference (docs.ts) all
 * come from it, so adding a key is one entry here (plus its meaning in the parser that reads it).
 */
import {
    DEFAULT_CHART_REPOSITORY, DEFAULT_ISTIO_NAMESPACE, GATEWAY_API_CHANNELS, GATEWAY_API_UNMANAGED, GATEWAY_CLASS, GATEWAY_LISTENER_PROTOCOLS, SERVICE_TYPES,
} from "../../istio";
import { DEFAULT_ROLLOUT } from "./rollout";
import { DEFAULT_ISTIOD_SELECTOR } from "../../istio/metrics";
import { BUILTIN_NAMES, BUILTINS, COMPARISONS } from "../gate/checks";
import { GATE_DEFAULTS, GATE_SECRET_KEYS } from "../gate/config";
import { DEFAULTS, ZTUNNEL_DEFAULTS } from "./defaults";
import { WAYPOINT_FOR } from "../../istio/ambient";

/** The project's config namespace: keys are `istio-mesh:<key>`. */
export const CONFIG_NAMESPACE = "istio-mesh";

interface BaseNode {
    /** What the key means, for the README and Pulumi.yaml (one or two sentences). */
    readonly doc: string;
    /** The value used when the key is unset (read by the parsers, shown in the docs). */
    readonly default?: unknown;
    /** The default when it is derived from other keys (docs only), e.g. "the istio namespace". */
    readonly defaultText?: string;
    /** Unset is a problem. */
    readonly required?: boolean;
    /** Only ever set with `pulumi config set --secret`. */
    readonly secret?: boolean;
    /** A value that works, shown in fixes, e.g. `"1.30.2"`. */
    readonly example?: string;
}

export interface ScalarNode extends BaseNode {
    /** `intOrString`: a count or a percentage ("50%"), as Kubernetes writes PodDisruptionBudget fields. */
    readonly type: "string" | "integer" | "boolean" | "intOrString" | "number";
    /** The allowed values, when the key is an enumeration. */
    readonly oneOf?: readonly string[];
}

/** A map with fixed keys: any other key is refused (with a did-you-mean). */
export interface ObjectNode extends BaseNode {
    readonly type: "object";
    readonly fields: Readonly<Record<string, SchemaNode>>;
}

/** A map whose keys the user chooses (tag names, namespace names). */
export interface MapNode extends BaseNode {
    readonly type: "map";
    /** What a key names, for the docs: `tags.<tag>`. */
    readonly keyName: string;
    readonly entry: SchemaNode;
}

export interface ListNode extends BaseNode {
    readonly type: "list";
    readonly items: SchemaNode;
}

/** Helm chart values passed through to a chart: any map (keys that contradict the program are refused by the parsers). */
export interface ValuesNode extends BaseNode {
    readonly type: "values";
}

export type SchemaNode = ScalarNode | ObjectNode | MapNode | ListNode | ValuesNode;

/** The settings of the built-in health checks of one group, from their definitions (model/gate/checks.ts). */
function builtinChecks(group: "controlPlane" | "dataPlane"): Record<string, SchemaNode> {
    const setting = { max: "The most allowed", margin: "How much higher than before the change it may be", factor: "How many times the value before the change it may be" };
    return Object.fromEntries(BUILTIN_NAMES.filter(n => BUILTINS[n].group === group).map(name => {
        const b = BUILTINS[name];
        const defaults = b.defaults as Record<string, number | undefined>;
        const unit = ({ ratio: "a ratio: 0.01 is 1%", s: "seconds", ms: "milliseconds", "": "a count over the time watched" } as Record<string, string>)[
            b.template({ enabled: true }, "").unit];
        return [name, {
            type: "object", default: {}, example: "{enabled: false}", doc: `Check: ${b.description}.`,
            fields: {
                enabled: { type: "boolean", default: true, example: "false", doc: "false turns the check off." },
                ...Object.fromEntries(b.settings.map(s => [s, {
                    type: "number", ...(defaults[s] !== undefined ? { default: defaults[s] } : {}), example: String(defaults[s] ?? 2000),
                    doc: `${setting[s]} (${s === "factor" ? "a multiple" : unit}).`,
                } satisfies SchemaNode])),
            },
        } satisfies SchemaNode];
    }));
}

const chartValues = (chart: string): ValuesNode => ({ type: "values", default: {}, doc: `${chart} chart value overrides.` });

/** The whole stack config. Top-level keys are the `istio-mesh:<key>` config keys. */
export const CONFIG_SCHEMA: ObjectNode = {
    type: "object",
    doc: "The istio-mesh stack config.",
    fields: {
        revisions: {
            type: "list", required: true, example: `revisions: [{version: "1.30.2"}]`,
            doc: "The control planes that should exist. An explicit name (e.g. `stable`) allows in-place upgrades (patch or +1 minor).",
            items: {
                type: "object", doc: "One control plane (istiod-<name>).", example: `{version: "1.30.2"}`,
                fields: {
                    version: { type: "string", required: true, example: `"1.30.2"`, doc: "An exact Istio release x.y.z (quoted in YAML). A prerelease (e.g. 1.31.0-rc.0) is applied with a warning." },
                    name: {
                        type: "string", defaultText: "the version's minor, e.g. `1-30`", example: `"1-30"`,
                        doc: "The revision name (istio.io/rev). Lowercase letters, digits and '-'; no dots; not `default`.",
                    },
                    values: chartValues("istiod"),
                },
            },
        },
        tags: {
            type: "map", keyName: "tag", default: {}, example: "tags: {default: 1-30}",
            doc: "Revision tags. `default` also serves `istio-injection=enabled` namespaces and owns default validation. Moving a tag restarts the namespaces that use it.",
            entry: { type: "string", doc: "The revision the tag points at (a revision, never a tag).", example: "1-30" },
        },
        namespaces: {
            type: "map", keyName: "namespace", default: {}, example: "namespaces: {shop: default}",
            doc: "Application namespaces, labelled istio.io/rev with a server-side-apply patch; never created or deleted. Their workloads restart when what injects them changes.",
            entry: { type: "string", doc: "The revision or tag the namespace uses.", example: "default" },
        },
        gateways: {
            type: "list", default: [], example: "gateways: [{name: ingress, namespace: istio-ingress, revision: default}]",
            doc: "Gateways, each from the gateway chart.",
            items: {
                type: "object", doc: "One gateway.", example: "{name: ingress, namespace: istio-ingress, revision: default}",
                fields: {
                    name: { type: "string", required: true, example: "istio-ingressgateway", doc: "The gateway's Deployment and Service name." },
                    namespace: { type: "string", defaultText: "the istio namespace", example: "istio-ingress", doc: "Where the gateway runs." },
                    revision: { type: "string", required: true, example: "default", doc: "The revision or tag that injects the gateway." },
                    serviceType: {
                        type: "string", oneOf: SERVICE_TYPES, default: DEFAULTS.gatewayServiceType, example: "ClusterIP",
                        doc: "The gateway Service's type.",
                    },
                    awaitLoadBalancer: {
                        type: "boolean", default: true, example: "false",
                        doc: "With serviceType LoadBalancer, `up` waits (up to 10 minutes) for the Service's external IP. Set false on clusters that assign none (bare metal, kind, KWOK): the Service is applied without that wait.",
                    },
                    replicas: { type: "integer", default: DEFAULTS.gatewayReplicas, example: "2", doc: "Gateway pods." },
                    podDisruptionBudget: {
                        type: "object", example: "{minAvailable: 1}",
                        doc: "A PodDisruptionBudget: exactly one of minAvailable and maxUnavailable; needs replicas >= 2 and must leave a pod evictable.",
                        fields: {
                            minAvailable: { type: "intOrString", example: "1", doc: "Pods that must stay up (a count or a percentage)." },
                            maxUnavailable: { type: "intOrString", example: "1", doc: "Pods that may be down (a count or a percentage)." },
                        },
                    },
                    values: chartValues("gateway"),
                },
            },
        },
        gatewayApi: {
            type: "object", default: {}, example: `gatewayApi: {version: "1.5.1", gateways: [{name: storefront, namespace: shop, revision: 1-30, listeners: [{port: 80}]}]}`,
            doc: "The Kubernetes Gateway API: its CRDs, versioned with Istio, and Gateways whose Deployment and Service istiod deploys (README, Gateway API).",
            fields: {
                version: {
                    type: "string", default: GATEWAY_API_UNMANAGED, example: `"1.5.1"`,
                    doc: `The Gateway API release whose CRDs the program applies (server-side, before any control plane, never deleted), checked against each revision's Istio version; \`${GATEWAY_API_UNMANAGED}\`: someone else installs them.`,
                },
                channel: {
                    type: "string", oneOf: GATEWAY_API_CHANNELS, default: "standard", example: "experimental",
                    doc: "The CRD channel: standard, or experimental (alpha kinds and fields) only when you use them.",
                },
                gateways: {
                    type: "list", default: [], example: "[{name: storefront, namespace: shop, revision: 1-30, listeners: [{port: 80}]}]",
                    doc: "Gateway API Gateways, each pinned to its revision (istio.io/rev on the Gateway), so a tag move leaves it alone; moving one is its own change.",
                    items: {
                        type: "object", doc: "One Gateway.", example: "{name: storefront, namespace: shop, revision: 1-30, listeners: [{port: 80}]}",
                        fields: {
                            name: { type: "string", required: true, example: "storefront", doc: "The Gateway's name; istiod names its Deployment and Service `<name>-<className>`." },
                            namespace: {
                                type: "string", required: true, example: "shop",
                                doc: "Where the Gateway is: the istio namespace, a namespace of istio-mesh:namespaces or of a gateway of istio-mesh:gateways.",
                            },
                            revision: {
                                type: "string", required: true, example: "1-30",
                                doc: "The revision that deploys the gateway. A tag works, with a warning: a tag move re-deploys every gateway following it at once (istio/istio#59959).",
                            },
                            className: {
                                type: "string", default: GATEWAY_CLASS.istio, example: GATEWAY_CLASS.istio,
                                doc: "The GatewayClass: a class whose controller is istiod (`istio`, or `istio-waypoint` for ambient waypoints).",
                            },
                            serviceType: {
                                type: "string", oneOf: SERVICE_TYPES, default: DEFAULTS.gatewayServiceType, example: "ClusterIP",
                                doc: "The type of the Service istiod deploys (Istio's networking.istio.io/service-type annotation).",
                            },
                            listeners: {
                                type: "list", example: "[{port: 443, protocol: HTTPS, hostname: shop.example.com, certificate: shop-tls}]",
                                doc: "The Gateway's listeners (or a manifest, not both).",
                                items: {
                                    type: "object", doc: "One listener.", example: "{port: 80}",
                                    fields: {
                                        name: { type: "string", defaultText: "`<protocol>-<port>`, lowercase, e.g. `http-80`", example: "web", doc: "The listener's name, unique in its Gateway." },
                                        port: { type: "integer", required: true, example: "80", doc: "The port (1-65535)." },
                                        protocol: { type: "string", oneOf: GATEWAY_LISTENER_PROTOCOLS, default: "HTTP", example: "HTTPS", doc: "The protocol." },
                                        hostname: { type: "string", example: "shop.example.com", doc: "The host the listener serves (a wildcard `*.example.com` too); unset: any." },
                                        certificate: {
                                            type: "string", example: "shop-tls",
                                            doc: "The TLS Secret (in the Gateway's namespace) an HTTPS or TLS listener terminates with; required for HTTPS, unset TLS passes through.",
                                        },
                                        routesFrom: {
                                            type: "string", oneOf: ["Same", "All"], default: "Same", example: "All",
                                            doc: "Which namespaces' routes may attach: the Gateway's own (Same), or any (All).",
                                        },
                                    },
                                },
                            },
                            manifest: {
                                type: "string", example: "./gateways/storefront.yaml",
                                doc: "Instead of listeners: a file holding your own Gateway of this name and namespace, which the program applies with istio.io/rev set (an existing one is adopted).",
                            },
                            waypointFor: {
                                type: "string", oneOf: WAYPOINT_FOR, defaultText: "`service` for className istio-waypoint", example: "workload",
                                doc: "A waypoint (className istio-waypoint, ambient mode; its listener is Istio's HBONE mesh:15008, no listeners needed): the traffic it takes (istio.io/waypoint-for). An ambient namespace with one waypoint is labelled istio.io/use-waypoint with it.",
                            },
                        },
                    },
                },
            },
        },
        cni: {
            type: "object", default: {}, example: "cni: {enabled: true}",
            doc: "istio-cni: one DaemonSet, upgraded in place after the control planes.",
            fields: {
                enabled: { type: "boolean", default: false, example: "true", doc: "Install istio-cni. Without it, the other cni keys are refused." },
                chained: { type: "boolean", default: true, example: "true", doc: "Chain onto the cluster's CNI plugin." },
                version: { type: "string", defaultText: "the oldest revision's version", example: `"1.30.2"`, doc: "The istio-cni release." },
                namespace: { type: "string", defaultText: "the istio namespace", example: "kube-system", doc: "Where the DaemonSet runs." },
                values: chartValues("cni"),
            },
        },
        ambient: {
            type: "object", default: {}, example: "ambient: {enabled: true, namespaces: [shop]}",
            doc: "Ambient mode: ztunnel on every node, istio-cni in its ambient setting, namespaces enrolled with istio.io/dataplane-mode=ambient (README, Ambient). Needs cni.enabled.",
            fields: {
                enabled: { type: "boolean", default: false, example: "true", doc: "Install ztunnel and turn ambient on in istiod and istio-cni. Without it, the other ambient keys are refused." },
                namespaces: {
                    type: "list", default: [], example: "[shop, catalog]",
                    doc: "Application namespaces enrolled in the ambient mesh (labelled istio.io/dataplane-mode=ambient, no istio.io/rev); never created or deleted. A namespace is here or in `namespaces`, not both: moving it is the migration, and its workloads restart so their sidecars go (or come back).",
                    items: { type: "string", doc: "A namespace name.", example: "shop" },
                },
                ztunnel: {
                    type: "object", default: {}, example: "ztunnel: {revision: 1-31, rollout: nodeByNode, drain: true}",
                    doc: "ztunnel: one DaemonSet, upgraded in place after istio-cni and before the tags move.",
                    fields: {
                        revision: {
                            type: "string", defaultText: "the `default` tag's revision, else the newest", example: "1-31",
                            doc: "The revision whose istiod serves ztunnel (certificates and config: istiod-<revision>). A revision, not a tag. By default ztunnel moves with the default tag (before it, in Istio's order), so adding a revision leaves every node alone.",
                        },
                        version: { type: "string", defaultText: "its revision's version", example: `"1.31.0"`, doc: "The ztunnel release: never newer than its revision's control plane, at most one minor behind it." },
                        values: chartValues("ztunnel"),
                        rollout: {
                            type: "string", oneOf: ["nodeByNode", "rolling"], default: ZTUNNEL_DEFAULTS.rollout, example: "rolling",
                            doc: "nodeByNode: the DaemonSet is OnDelete and the program's step replaces ztunnel one node (or nodesAtOnce) at a time, optionally cordoned and drained; rolling: the DaemonSet's own rolling update.",
                        },
                        nodesAtOnce: { type: "integer", default: ZTUNNEL_DEFAULTS.nodesAtOnce, example: "2", doc: "Nodes taken at the same time (nodeByNode)." },
                        cordon: { type: "boolean", default: ZTUNNEL_DEFAULTS.cordon, example: "false", doc: "Cordon each node while its ztunnel is replaced, uncordoned after (nodeByNode)." },
                        drain: {
                            type: "boolean", default: ZTUNNEL_DEFAULTS.drain, example: "true",
                            doc: "Drain each node first through the Eviction API, respecting PodDisruptionBudgets (nodeByNode; Istio advises it for zero downtime: restarting ztunnel cuts the node's connections).",
                        },
                        drainTimeout: { type: "string", default: ZTUNNEL_DEFAULTS.drainTimeout, example: `"10m"`, doc: "How long a node's drain may take; past it the step stops, naming the pods left." },
                        readyTimeout: { type: "string", default: ZTUNNEL_DEFAULTS.readyTimeout, example: `"2m"`, doc: "How long a node's new ztunnel pod may take to be Ready." },
                        pauseBetween: { type: "string", default: ZTUNNEL_DEFAULTS.pauseBetween, example: `"30s"`, doc: "Pause after each node (or group of nodes) before the next (0s: none)." },
                    },
                },
            },
        },
        registry: {
            type: "object", default: {}, example: "registry: {hub: registry.example.com/istio}",
            doc: "Where images come from. Set `hub`: 1.30 defaults to a registry being retired.",
            fields: {
                hub: { type: "string", defaultText: "the chart's", example: "registry.example.com/istio", doc: "Image registry and path, without tag or scheme." },
                tag: {
                    type: "string", defaultText: "each chart's own version", example: `"{version}-distroless"`,
                    doc: "Image tag; `{version}` is replaced by each chart's version. A tag without it is refused when the config runs several versions.",
                },
                imagePullSecrets: {
                    type: "list", default: [], example: "[registry-credentials]", doc: "Secret names the Istio pods pull with.",
                    items: { type: "string", doc: "A Secret name.", example: "registry-credentials" },
                },
                pullSecretName: {
                    type: "string", default: DEFAULTS.pullSecretName, example: DEFAULTS.pullSecretName,
                    doc: "Name of the pull secret made from registryCredentials.",
                },
            },
        },
        registryCredentials: {
            type: "string", secret: true, example: `pulumi config set --secret registryCredentials "$(cat config.json)"`,
            doc: "A dockerconfigjson for the hub, with credentials (`auth`, or username and password) for each registry in `auths`. The program creates the pull secret in each namespace that pulls and adds it to imagePullSecrets. Secret only.",
        },
        charts: {
            type: "object", default: {}, example: "charts: {localDir: /srv/istio/{version}}",
            doc: "Where Istio comes from.",
            fields: {
                renderer: { type: "string", oneOf: ["helm", "istioctl"], default: DEFAULTS.renderer, example: "helm", doc: "helm (official charts) or istioctl (istioctl manifest generate)." },
                repository: {
                    type: "string", default: DEFAULT_CHART_REPOSITORY, example: DEFAULT_CHART_REPOSITORY,
                    doc: "Helm repository URL (oci:// or http(s)://), e.g. your mirror.",
                },
                localDir: {
                    type: "string", example: "/srv/istio/{version}",
                    doc: "Charts on disk, `{version}` replaced, holding base/ istiod/ gateway/ cni/. Each version's directory must exist; `{version}` is required when the config runs several versions.",
                },
                istioctl: { type: "string", example: "/opt/istio-{version}/bin/istioctl", doc: "istioctl path per version (`{version}` replaced), for the istioctl renderer." },
            },
        },
        istioNamespace: { type: "string", default: DEFAULT_ISTIO_NAMESPACE, example: DEFAULT_ISTIO_NAMESPACE, doc: "The namespace of istiod." },
        kubernetesVersion: {
            type: "string", default: "", example: `"1.33"`,
            doc: "The cluster's Kubernetes minor, checked against Istio's support table by the policy pack.",
        },
        renderDirectory: {
            type: "string", default: "", example: "./rendered",
            doc: "Render mode: write every manifest to this directory instead of applying it; no kubectl step runs. A directory of its own: not the project (however spelled) or one above it.",
        },
        restartTimeout: {
            type: "string", default: DEFAULTS.restartTimeout, example: `"5m"`,
            doc: "How long each workload's rollout may take when its namespace restarts (a duration such as 5m or 1h30m).",
        },
        kubernetes: {
            type: "object", default: {}, defaultText: "the ambient kubeconfig", example: "kubernetes: {kubeconfig: ~/.kube/config, context: prod}",
            doc: "Cluster access shared by the Kubernetes provider and the kubectl steps.",
            fields: {
                kubeconfig: { type: "string", example: "~/.kube/config", doc: "Path of a kubeconfig file." },
                context: { type: "string", example: "prod", doc: "The kubeconfig context." },
                requestTimeout: {
                    type: "string", default: DEFAULTS.requestTimeout, example: `"1m"`,
                    doc: "How long each read of the cluster, and each API request of the kubectl steps, may take (a duration such as 30s or 1m): a kubeconfig whose exec plugin waits for a login fails the preview after it, showing what the plugin said.",
                },
                adoptExisting: {
                    type: "boolean", default: false, example: "true",
                    doc: "Take over the objects of a mesh istioctl or Helm installed: the provider applies onto an existing object (upsertExistingObjects) and takes the fields another field manager owns (enablePatchForce). Set it for the first up, remove it after: a name clash is an error again (README, Adopting).",
                },
            },
        },
        decommission: {
            type: "boolean", default: false, example: "true",
            doc: "Prepares a deliberate teardown: the next up lifts the lock that makes `pulumi destroy` refuse and lets the retirement guards pass with pods still injected; then `pulumi destroy` removes the mesh and gives back the istio-injection labels it removed (README, Safety). Remove it to lock the mesh again.",
        },
        rollout: {
            type: "object", default: {}, example: "rollout: {parallelNamespaces: 2, pauseBetween: 1m}",
            doc: "How workloads restart onto their namespace's revision (README, Rollout).",
            fields: {
                parallelNamespaces: {
                    type: "integer", default: DEFAULT_ROLLOUT.parallelNamespaces, example: "1",
                    doc: "Namespaces restarted at the same time; each wave is awaited before the next.",
                },
                pauseBetween: { type: "string", default: DEFAULT_ROLLOUT.pauseBetween, example: `"1m"`, doc: "Pause between waves (a duration such as 30s or 1m30s; 0s: none)." },
                restarts: {
                    type: "string", oneOf: ["auto", "manual"], default: DEFAULT_ROLLOUT.restarts, example: "manual",
                    doc: "auto: the program restarts what does not run its target; manual: it labels, restarts nothing, and the plan lists what is left.",
                },
            },
        },
        acknowledge: {
            type: "object", default: {}, example: "acknowledge: {istioNamespace: mesh}",
            doc: "Accepts one change that replaces or moves the whole mesh on a stack that has run; each field names the exact new value, so a stale acknowledgement accepts nothing else.",
            fields: {
                renderDirectory: { type: "string", example: "./rendered", doc: "The new renderDirectory (\"\" to leave render mode): replaces the Kubernetes provider, so every object is deleted and created again." },
                istioNamespace: { type: "string", example: "mesh", doc: "The new istioNamespace: every istiod, webhook and gateway is replaced under running workloads." },
                context: { type: "string", example: "prod-eu", doc: "The new kubernetes.context: the mesh is created on that cluster and deleted from the one it ran on." },
            },
        },
        healthGate: {
            type: "object", default: {}, example: "healthGate: {prometheus: {url: http://prometheus.monitoring:9090}}",
            doc: "Watch the mesh in Prometheus after each change of a step and stop the step when it is unhealthy (README, Health gate).",
            fields: {
                prometheus: {
                    type: "object", required: true, example: "{url: http://prometheus.monitoring:9090}", doc: "The Prometheus the gate asks.",
                    fields: {
                        url: { type: "string", required: true, example: "http://prometheus.monitoring:9090", doc: "Its base URL (http or https), without credentials." },
                        caFile: { type: "string", example: "/etc/ssl/prometheus-ca.pem", doc: "A PEM file of the CA that signs its certificate (https)." },
                    },
                },
                bake: { type: "string", default: GATE_DEFAULTS.bake, example: `"2m"`, doc: "How long to watch after each change before the checks run (0s: at once)." },
                window: { type: "string", default: GATE_DEFAULTS.window, example: `"1m"`, doc: "The range of rates and quantiles; at most the bake." },
                onNoData: {
                    type: "string", oneOf: ["fail", "skip"], default: GATE_DEFAULTS.onNoData, example: "skip",
                    doc: "Prometheus unreachable, a failed query, or a query without data: fail the step (closed), or skip the check (the plan and preview warn).",
                },
                istiodSelector: {
                    type: "string", default: DEFAULT_ISTIOD_SELECTOR, example: `'job="istiod-{revision}"'`,
                    doc: "PromQL label matchers of one revision's istiods; {revision} is replaced.",
                },
                controlPlane: { type: "object", default: {}, example: "{xdsRejects: {max: 2}}", doc: "Built-in checks of each revision's istiods.", fields: builtinChecks("controlPlane") },
                dataPlane: { type: "object", default: {}, example: "{errorRate: {max: 0.02}}", doc: "Built-in checks of each moved namespace's and gateway's traffic.", fields: builtinChecks("dataPlane") },
                checks: {
                    type: "list", default: [], example: `[{name: slo, query: "...", comparison: "<", threshold: 0.05}]`,
                    doc: "Your own checks: PromQL whose value must compare with a threshold; {namespace}, {revision}, {window} and {range} are filled.",
                    items: {
                        type: "object", doc: "One check.", example: `{name: slo, query: "...", comparison: "<", threshold: 0.05}`,
                        fields: {
                            name: { type: "string", required: true, example: "checkout-slo", doc: "Its name, in messages." },
                            query: { type: "string", required: true, example: `"sum(up{namespace=\"{namespace}\"})"`, doc: "PromQL giving one value (or several: the worst counts)." },
                            comparison: { type: "string", oneOf: COMPARISONS, required: true, example: `"<="`, doc: "How the value must compare with the threshold." },
                            threshold: { type: "number", required: true, example: "0.05", doc: "The threshold." },
                        },
                    },
                },
            },
        },
        [GATE_SECRET_KEYS.bearerToken]: {
            type: "string", secret: true, example: `pulumi config set --secret ${GATE_SECRET_KEYS.bearerToken} <token>`,
            doc: "A bearer token for the health gate's Prometheus. Secret only.",
        },
        [GATE_SECRET_KEYS.headers]: {
            type: "string", secret: true, example: `pulumi config set --secret ${GATE_SECRET_KEYS.headers} '{"X-Scope-OrgID": "mesh"}'`,
            doc: "HTTP headers for the health gate's Prometheus, a JSON map. Secret only.",
        },
        promotion: {
            type: "object", default: {}, example: "promotion: {from: my-org/istio-mesh/staging, soak: 24h}",
            doc: "The stack this one is promoted from: preview and up refuse a revision, CNI version or tag move to an Istio version the source has not run for at least soak.",
            fields: {
                from: { type: "string", required: true, example: "my-org/istio-mesh/staging", doc: "The source stack, `<org>/<project>/<stack>`." },
                soak: { type: "string", required: true, example: "24h", doc: "How long the source must run a version first (d, h, m, s)." },
            },
        },
    },
};
