/**
 * The restart request the program hands to the restart step (its stdin), and the namespace-label checks around it.
 */
import { AMBIENT_MODE, DATAPLANE_MODE_LABEL, INJECTION_LABEL, REV_LABEL, rolledOntoValue } from "../../istio";
import { isAmbientTarget, NamespaceTarget, RolloutPlan, restarts } from "./decide";
import { Observation } from "./observation";

/**
 * The restart request the program hands to the restart step, one line per namespace with restarts, in wave order:
 * "<namespace> <label> <revision>@<version> <Kind>/<name>@<generation> ...". It is the step's input, so the
 * preview's diff names every workload that restarts; the step re-decides each one on a fresh observation.
 */
export function formatRequest(plan: RolloutPlan): string {
    const byName = new Map(plan.namespaces.map(n => [n.namespace, n]));
    return plan.waves.flat().map(name => {
        const n = byName.get(name)!;
        const ws = restarts(n).map(w => `${w.kind}/${w.name}${w.generation !== undefined ? `@${w.generation}` : ""}`);
        return [n.namespace, n.label, rolledOntoValue(n.revision, n.version), ...ws].join(" ");
    }).join("\n");
}

/** Parses formatRequest's text back into targets (workload names are re-decided, so only the targets matter). */
export function parseRequest(text: string): NamespaceTarget[] {
    return text.split("\n").map(l => l.trim()).filter(Boolean).map(line => {
        const [namespace, label, record] = line.split(/\s+/);
        const at = record?.lastIndexOf("@") ?? -1;
        if (!namespace || !label || at <= 0) {
            throw new Error(`malformed restart request line "${line}": expected "<namespace> <label> <revision>@<version> ..."`);
        }
        return { namespace, label, revision: record.slice(0, at), version: record.slice(at + 1) };
    });
}

/**
 * A namespace whose label was changed outside the program since the program applied `target` to it (it was bound
 * to the same target last time): "<observed label>@<resourceVersion>", or undefined (not observed, unchanged, or
 * the binding changes anyway this run).
 */
export function labelChangedOutside(namespace: string, target: string, previousTarget: string | undefined, observation: Observation | undefined): string | undefined {
    if (!observation || !(namespace in observation.namespaceLabels) || previousTarget !== target) {
        return undefined;
    }
    const observed = observation.namespaceLabels[namespace];
    return observed === target ? undefined : `${observed ?? "(none)"}@${observation.namespaceVersions?.[namespace] ?? "?"}`;
}

/**
 * The namespace labels the restart step requires before restarting (a hand relabel must be taken back first). An
 * ambient namespace must carry istio.io/dataplane-mode=ambient and nothing that injects sidecars: restarting it
 * otherwise would bring the sidecars back.
 */
export function labelProblem(ns: NamespaceTarget, observedLabel: string | undefined, observedMode?: string, legacyInjection?: string): string | undefined {
    if (isAmbientTarget(ns)) {
        const injects = observedLabel !== undefined ? `${REV_LABEL}=${observedLabel}` : legacyInjection !== undefined ? `${INJECTION_LABEL}=${legacyInjection}` : undefined;
        return observedMode === AMBIENT_MODE && !injects ? undefined
            : `namespace ${ns.namespace} is in istio-mesh:ambient.namespaces but is labelled ${DATAPLANE_MODE_LABEL}=${observedMode ?? "(none)"}` +
              `${injects ? ` and ${injects}, which injects sidecars` : ""}: restarting now would not take its pods into the ambient mesh. ` +
              (injects && observedLabel === undefined ? `Remove the label (kubectl label namespace ${ns.namespace} ${INJECTION_LABEL}-) and run 'pulumi up' again`
                  : "Run 'pulumi up' again (or 'pulumi up --refresh') so its labels are taken back, then its workloads restart");
    }
    return observedLabel === ns.label ? undefined
        : `namespace ${ns.namespace} is labelled ${REV_LABEL}=${observedLabel ?? "(none)"}, not ${ns.label} as istio-mesh:namespaces.${ns.namespace} says ` +
          `(relabelled outside the program while up ran?): restarting now would inject the wrong revision. Run 'pulumi up' again (or 'pulumi up --refresh') so the label is taken back, then its workloads restart`;
}
