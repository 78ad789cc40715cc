/**
 * The istioctl renderer (for teams that render with `istioctl manifest generate`, as in the in-place runbook):
 * the values tree charts.ts builds for a release, translated into an IstioOperator overlay read from stdin.
 *
 * `istioctl manifest generate` renders the same charts as the Helm renderer (base, istio-control/istio-discovery
 * = istiod, istio-cni = cni) and hands each one `spec.values` as its chart values. So the tree goes there
 * unchanged, through `spec.unvalidatedValues`: istioctl merges it over its profile after validation, as Helm
 * takes chart values without checking them against istioctl's schema. The overlay only says which component
 * to render and in which namespace.
 * Source: istio/istio operator/pkg/render/manifest.go (MergeInputs, GenerateManifest) and operator/pkg/component.
 */
import { Values } from "./charts";

/** An IstioOperator overlay, as `istioctl manifest generate -f -` reads it. */
export interface IstioOperatorOverlay {
    apiVersion: "install.istio.io/v1alpha1";
    kind: "IstioOperator";
    spec: {
        /** `empty`: every component off, so only the one named in `components` renders. */
        profile: "empty";
        components: Partial<Record<IstioctlComponent, { enabled: true; namespace?: string }>>;
        /** Base only: its namespace, which istioctl reads from here (before `unvalidatedValues` are merged). */
        values?: { global: { istioNamespace: string } };
        unvalidatedValues: Values;
    };
}

/** The IstioOperator components istio-mesh renders with istioctl (gateways use the gateway chart, see the README). */
export type IstioctlComponent = "base" | "pilot" | "cni" | "ztunnel";

/** The overlay rendering one component from `values`, its chart's values tree, into `namespace`. */
export function istioctlOverlay(component: IstioctlComponent, namespace: string, values: Values): IstioOperatorOverlay {
    // istioctl takes the namespace of pilot and cni from their component; base has none and goes to the
    // namespace of values.global.istioNamespace (the profile's unless set here: unvalidatedValues come later).
    const spec: IstioOperatorOverlay["spec"] = component === "base"
        ? { profile: "empty", components: { base: { enabled: true } }, values: { global: { istioNamespace: namespace } }, unvalidatedValues: values }
        : { profile: "empty", components: { [component]: { enabled: true, namespace } }, unvalidatedValues: component === "ztunnel" ? ztunnelTree(values) : values };
    return { apiVersion: "install.istio.io/v1alpha1", kind: "IstioOperator", spec };
}

/**
 * ztunnel's chart values as istioctl takes them: under `ztunnel` (its component's values root, operator/pkg/component
 * ToHelmValuesTreeRoot), where its profile's own defaults are; only `global` stays shared. At the top level istioctl
 * lets the profile's ztunnel defaults win over them (the updateStrategy and annotations were lost).
 */
function ztunnelTree(values: Values): Values {
    const { global, ...own } = values;
    return { ...(global !== undefined ? { global } : {}), ztunnel: own };
}

/** The command line rendering the overlay given on stdin, istioctl's path quoted for a POSIX shell. */
export function istioctlCommand(istioctl: string): string {
    return `'${istioctl.replace(/'/g, `'\\''`)}' manifest generate -f -`;
}

/** The overlay as text for the command's stdin (JSON is YAML: no quoting rules to get wrong). */
export function overlayText(overlay: IstioOperatorOverlay): string {
    return JSON.stringify(overlay, null, 2);
}
