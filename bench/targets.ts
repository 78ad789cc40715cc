/** Issue 27's targets (and round one's still reported), in one place: each figure prints its target beside it. */
export const TARGETS = {
    /** 1. Preview of "add a canary revision", as a ratio to the manual dry-run with the CRDs; its first preview. */
    previewCanary: 1.5,
    previewCanaryFirst: 3,
    /** 2. `pulumi up` of "add a canary revision" / the manual install, to istiod ready. */
    upCanary: 1.5,
    /** 3. `pulumi up` of "move 50 namespaces" / the runbook's loop, at parallelism 1 and 5. */
    upMove: 1.2,
    /** 4. `pulumi up` with nothing to do / the same of an empty program of as many resources. */
    rerun: 1.5,
    /** 5. The program under mocks at 10,000 namespaces: milliseconds and peak MB; the engine's render-mode preview. */
    program10kMs: 3000,
    program10kMB: 800,
    render10kMs: 60_000,
    /** 5. Growth of every figure per 10x of namespaces. */
    growthPer10x: 10,
    /** Round one: the preview of "move 50 namespaces" / the runbook's label loop; the program at 1,000; the policy pack. */
    previewMove: 1.5,
    program1kMs: 2000,
    policyPackMs: 1000,
} as const;
