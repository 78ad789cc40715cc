/**
 * The legacy istio-injection labels the program holds (pure): which bound namespaces' labels it removed and gives back,
 * and the request of the one step that does it (components/kubectl.ts LEGACY_INJECTION_APPLY_SCRIPT). The policy pack
 * reads that request too: a namespace whose label the step removes does not keep both labels.
 */
import type { MeshFacts, MeshState } from "./facts";

/** The step's resource name. */
export const LEGACY_INJECTION_STEP = "legacy-injection";

/**
 * The facts with the legacy istio-injection labels the program holds: each bound namespace's (sidecar or ambient) as observed on the cluster
 * now, else as the previous `up` recorded it (the program removed it then). A released namespace's is not held: its
 * label is given back.
 */
export function withLegacyInjection(facts: MeshFacts, previous: MeshState | undefined, observed: Readonly<Record<string, string>> = {}): MeshFacts {
    // Ambient namespaces too: the legacy label would inject sidecars there (and moving one to ambient must not give it back).
    const held = Object.fromEntries([...Object.keys(facts.namespaces), ...(facts.state.ambient?.namespaces ?? [])]
        .map(ns => [ns, observed[ns] ?? previous?.legacyInjection?.[ns]] as const)
        .filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
    return Object.keys(held).length === 0 ? facts : { ...facts, state: { ...facts.state, legacyInjection: held } };
}

/** What the legacy-label step does in this step: its request, and whether it must run (else it keeps its last request). */
export interface LegacyInjectionStep {
    /**
     * Its stdin (components/kubectl.ts LEGACY_INJECTION_APPLY_SCRIPT): "give-back <namespace> <value>" for each label
     * given back in this step (its namespace left the config), "hold <namespace> <value>" for each label the program
     * holds, and "again <namespace> <value>" for a held label found back on its namespace (set by hand), sorted by kind
     * then namespace. Empty when there is none.
     */
    readonly request: string;
    /** A label is removed, given back or found back in this step: the step runs. Otherwise it holds the same labels. */
    readonly changes: boolean;
}

/** The legacy-label step of this step; `observed` is each bound namespace's istio-injection label on the cluster now. */
export function legacyInjectionStep(state: MeshState, previous: MeshState | undefined, observed: Readonly<Record<string, string>> = {}): LegacyInjectionStep {
    const lines = (kind: string, entries: [string, string][]) => entries.sort().map(([ns, value]) => `${kind} ${ns} ${value}\n`);
    const held = Object.entries(state.legacyInjection ?? {});
    const givenBack = lines("give-back", Object.entries(previous?.legacyInjection ?? {}).filter(([ns]) => state.legacyInjection?.[ns] === undefined));
    const again = lines("again", held.filter(([ns]) => previous?.legacyInjection?.[ns] !== undefined && observed[ns] !== undefined));
    const added = held.some(([ns]) => previous?.legacyInjection?.[ns] === undefined);
    return { request: [...givenBack, ...lines("hold", held), ...again].join(""), changes: givenBack.length > 0 || again.length > 0 || added };
}

/** The namespaces whose legacy label a request of the step holds (its "hold" lines). */
export function heldByRequest(request: string): string[] {
    return request.split("\n").map(line => line.split(" ")).filter(([kind, ns]) => kind === "hold" && ns).map(([, ns]) => ns);
}
