/**
 * `istioctl manifest generate` flags per Istio version, for teams that render with istioctl (the in-place
 * runbook) instead of Helm. The same settings as charts.ts, in IstioOperator paths.
 */
import { hasLayout, ImageSettings, imageTag } from "./charts";

export interface IstioctlRevisionArgs {
    version: string;
    revision: string;
    istioNamespace: string;
    images?: ImageSettings;
    cni?: { enabled: boolean; chained?: boolean };
}

function imageFlags(images: ImageSettings | undefined, version: string): string[] {
    const flags: string[] = [`tag=${imageTag(images ?? {}, version)}`];
    if (images?.hub) {
        flags.push(`hub=${images.hub}`);
    }
    (images?.imagePullSecrets ?? []).forEach((s, i) => flags.push(`values.global.imagePullSecrets[${i}]=${s}`));
    return flags;
}

/** `--set` values rendering one revision's control plane only (no CRDs, no gateways: those have their own owners). */
export function istioctlRevisionSets(args: IstioctlRevisionArgs): string[] {
    const sets = [
        "profile=minimal",
        `revision=${args.revision}`,
        "components.base.enabled=false",
        `values.global.istioNamespace=${args.istioNamespace}`,
        ...imageFlags(args.images, args.version),
    ];
    if (args.cni?.enabled) {
        sets.push(hasLayout(args.version, "cniValuesTopLevel") ? "values.pilot.cni.enabled=true" : "values.istio_cni.enabled=true");
    }
    return sets;
}

/** `--set` values rendering the CRDs and cluster-wide base objects only. */
export function istioctlBaseSets(args: { istioNamespace: string; defaultRevision?: string }): string[] {
    return [
        "profile=minimal",
        "components.pilot.enabled=false",
        `values.global.istioNamespace=${args.istioNamespace}`,
        `values.defaultRevision=${args.defaultRevision ?? ""}`,
    ];
}

/** The command line, each --set quoted for a POSIX shell. */
export function istioctlCommand(istioctl: string, sets: readonly string[]): string {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    return [quote(istioctl), "manifest", "generate", ...sets.flatMap(s => ["--set", quote(s)])].join(" ");
}
