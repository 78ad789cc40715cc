/**
 * The one line to print when the `pulumi` CLI that `npm run plan` and `npm start` drive is missing or too old,
 * instead of the Automation API's dump.
 */
import { spawnSync } from "child_process";
import * as semver from "semver";

/** The oldest CLI that runs the policy pack (@pulumi/policy 1.21; see tools/offline/toolchain.versions). */
export const MINIMUM_PULUMI = "3.204.0";

const INSTALL = "install it (https://www.pulumi.com/docs/iac/download-install/), or use the offline toolchain's: " +
    "npm run toolchain, then put ~/.cache/istio-mesh-toolchain/bin first on PATH";

/** Why the `pulumi` on PATH (in `env`) cannot run the preview, or undefined when it can. */
export function pulumiCliProblem(env: NodeJS.ProcessEnv = process.env): string | undefined {
    const run = spawnSync("pulumi", ["version"], { env, encoding: "utf8" });
    if (run.error || run.status !== 0) {
        return `no working pulumi CLI on PATH (${run.error ? (run.error as NodeJS.ErrnoException).code : `exit ${run.status}`}): ${INSTALL}`;
    }
    const version = semver.coerce(run.stdout.trim());
    if (!version || semver.lt(version, MINIMUM_PULUMI)) {
        return `pulumi ${run.stdout.trim()} is too old (${MINIMUM_PULUMI} or newer is needed): ${INSTALL}`;
    }
    return undefined;
}
