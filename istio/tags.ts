/**
 * Revision tags as Kubernetes objects, rendered the way the istiod chart's revision-tags templates (and
 * `istioctl tag set`) render them, so that a tag is one object whose target can be updated in place.
 * Source: istio/istio manifests/charts/istio-control/istio-discovery/templates/revision-tags-{mwc,svc}.yaml.
 */
import { hasLayout } from "./charts";
import { DEFAULT_TAG, INJECTION_LABEL, istiodName, REV_LABEL, TAG_LABEL, tagServiceName, tagWebhookName } from "./names";

type Manifest = Record<string, any>;

interface Selector { key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }

function injector(prefix: string, serviceName: string, istioNamespace: string,
                   namespaceSelector: Selector[], objectSelector: Selector[]): Manifest {
    return {
        name: `${prefix}sidecar-injector.istio.io`,
        clientConfig: {
            service: { name: serviceName, namespace: istioNamespace, path: "/inject", port: 443 },
        },
        sideEffects: "None",
        rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
        failurePolicy: "Fail",
        reinvocationPolicy: "Never",
        admissionReviewVersions: ["v1"],
        namespaceSelector: { matchExpressions: namespaceSelector },
        objectSelector: { matchExpressions: objectSelector },
    };
}

const notOptedOut: Selector = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };

/** The labels the charts put on tag objects; istiod patches the caBundle of webhooks labelled with its revision. */
export function tagLabels(tag: string, revision: string): Record<string, string> {
    return { [TAG_LABEL]: tag, [REV_LABEL]: revision, app: "sidecar-injector", "app.kubernetes.io/name": "istiod" };
}

/** The MutatingWebhookConfiguration of tag `tag` pointing at `revision` (running `version`). */
export function tagWebhook(args: { tag: string; revision: string; istioNamespace: string }): Manifest {
    const { tag, revision, istioNamespace } = args;
    const service = istiodName(revision);
    const webhooks = [
        injector("rev.namespace.", service, istioNamespace,
            [{ key: REV_LABEL, operator: "In", values: [tag] }, { key: INJECTION_LABEL, operator: "DoesNotExist" }],
            [notOptedOut]),
        injector("rev.object.", service, istioNamespace,
            [{ key: REV_LABEL, operator: "DoesNotExist" }, { key: INJECTION_LABEL, operator: "DoesNotExist" }],
            [notOptedOut, { key: REV_LABEL, operator: "In", values: [tag] }]),
    ];
    if (tag === DEFAULT_TAG) {
        // The default tag also serves the legacy label and pods that opt in without a revision.
        webhooks.push(
            injector("namespace.", service, istioNamespace,
                [{ key: INJECTION_LABEL, operator: "In", values: ["enabled"] }], [notOptedOut]),
            injector("object.", service, istioNamespace,
                [{ key: INJECTION_LABEL, operator: "DoesNotExist" }, { key: REV_LABEL, operator: "DoesNotExist" }],
                [{ key: "sidecar.istio.io/inject", operator: "In", values: ["true"] }, { key: REV_LABEL, operator: "DoesNotExist" }]),
        );
    }
    return {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "MutatingWebhookConfiguration",
        metadata: { name: tagWebhookName(tag, istioNamespace), labels: tagLabels(tag, revision) },
        webhooks,
    };
}

/** The Service charts 1.28+ render per tag (selecting the revision's istiod pods); undefined before 1.28. */
export function tagService(args: { tag: string; revision: string; version: string; istioNamespace: string }): Manifest | undefined {
    if (!hasLayout(args.version, "tagService")) {
        return undefined;
    }
    return {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
            name: tagServiceName(args.tag),
            namespace: args.istioNamespace,
            labels: { ...tagLabels(args.tag, args.revision), app: "istiod", istio: "pilot" },
        },
        spec: {
            ports: [
                { port: 15010, name: "grpc-xds", protocol: "TCP" },
                { port: 15012, name: "https-dns", protocol: "TCP" },
                { port: 443, name: "https-webhook", targetPort: 15017, protocol: "TCP" },
                { port: 15014, name: "http-monitoring", protocol: "TCP" },
            ],
            selector: { app: "istiod", [REV_LABEL]: args.revision },
        },
    };
}
