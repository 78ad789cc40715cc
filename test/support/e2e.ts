/** What every end-to-end file does first: the toolchain, or a skip that says what is missing (never a pass). */
import { toolchainEnv, toolchainMissing } from "../../demo/local";

/** The toolchain's environment and its two Istio versions; skips the suite's hook with the reason when it is missing. */
export function toolchainOrSkip(ctx: Mocha.Context, missing = toolchainMissing()): { env: NodeJS.ProcessEnv; OLD: string; NEW: string } {
    if (missing) {
        ctx.test!.title += ` (skipped: toolchain missing: ${missing}; build it with 'npm run toolchain')`;
        ctx.skip();
    }
    const env = toolchainEnv();
    return { env, OLD: env.ISTIO_MESH_ISTIO_OLD!, NEW: env.ISTIO_MESH_ISTIO_NEW! };
}
