/** Istio releases past end of life, or unknown to the support table. */
import { StackValidationPolicy } from "@pulumi/policy";
import { checkEndOfLife, SUPPORT_TABLE_SOURCE } from "../istio/support";
import { istioInstalls } from "./mesh";
import { meshValidation, reportAt } from "./policy-kit";

/** The end-of-life policy evaluated at `now()`, so tests can pin the date. */
export function endOfLifePolicy(now: () => Date): StackValidationPolicy {
    return {
        name: "istio-version-not-end-of-life",
        description:
            "Every Istio version the plan runs (control planes and CNI) should be a supported release: not past its end " +
            `of life and known to the support table (${SUPPORT_TABLE_SOURCE}). Upgrade to a supported minor through ` +
            "canary revisions; for a release newer than the table, update istio/support.ts.",
        enforcementLevel: "advisory",
        validateStack: meshValidation((mesh, _args, report) => {
            const today = now();
            // One advisory per version, naming everything that runs it: the engine prints each violation with the
            // policy's whole description, so one per install repeated it for every chart.
            const byVersion = new Map<string, ReturnType<typeof istioInstalls>>();
            for (const install of istioInstalls(mesh)) {
                byVersion.set(install.version, [...(byVersion.get(install.version) ?? []), install]);
            }
            for (const [version, installs] of byVersion) {
                const verdict = checkEndOfLife(version, today);
                if (verdict.status !== "supported") {
                    const what = installs.map(i => i.what).join(", ");
                    reportAt(report, installs[0].origin, `${what} ${installs.length === 1 ? "runs" : "run"} Istio ${version}: ${verdict.reason}`);
                }
            }
        }),
    };
}

export const versionNotEndOfLife = endOfLifePolicy(() => new Date());
