/**
 * The fleet plan's gathering (`npm run plan -- --stacks staging,prod` or `--all-stacks`): per stack, its config
 * and recorded outputs through the Automation API, its step as the program computes it (the same pure functions:
 * model/config, model/facts, the promotion gate against its source's recorded outputs), and its preview unless
 * `--offline`. plan/fleet.ts builds the report.
 */
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { MeshConfigError, parseMeshConfig, rawConfigFromPulumi } from "../model/config";
import { MeshState, meshFacts, planUpgrade } from "../model/facts";
import { promotionGate, qualifiedSource, SourceOutputs, StackName } from "../model/promotion";
import { buildFleetReport, fleetExitCode, FleetStackInput } from "./fleet";
import { renderFleet } from "./fleet-render";
import { Format } from "./render";
import { PlanReport } from "./report";

export interface FleetArgs {
    stacks: string[];
    allStacks: boolean;
    /** Compute each step from config and recorded state only, without previews (no cluster, no engine run). */
    offline: boolean;
    format: Format;
    workDir: string;
}

function message(e: unknown): string {
    return (e instanceof Error ? e.message : String(e)).trim();
}

async function outputsOf(stack: Stack): Promise<SourceOutputs> {
    const outputs = await stack.outputs();
    return { meshState: outputs.meshState?.value as MeshState | undefined, promotion: outputs.promotion?.value };
}

/** One stack's inputs to the report; `sourceOutputs` reads (and caches) the recorded outputs of a source stack. */
async function gather(name: string, self: StackName, args: FleetArgs, sourceOutputs: (qualified: string) => Promise<SourceOutputs>,
                      preview: (name: string) => Promise<PlanReport>): Promise<FleetStackInput> {
    let running: MeshState | undefined;
    try {
        const stack = await LocalWorkspace.selectStack({ stackName: name, workDir: args.workDir });
        running = (await outputsOf(stack)).meshState;
        const config = Object.fromEntries(Object.entries(await stack.getAllConfig()).map(([k, v]) => [k, v.value]));
        const { raw, hasCredentials } = rawConfigFromPulumi(config);
        const spec = parseMeshConfig(raw, running, hasCredentials);
        const facts = meshFacts(spec, running);
        const upgrade = planUpgrade(running, facts);
        let promotion: FleetStackInput["promotion"];
        if (spec.promotion) {
            const from = qualifiedSource(spec.promotion.from, self);
            let source: SourceOutputs;
            const readError: string[] = [];
            try {
                source = await sourceOutputs(from);
            } catch (e) {
                source = {};
                readError.push(`stack ${from} could not be read (${message(e).split("\n")[0]}); name an existing stack (pulumi stack ls --all)`);
            }
            const gate = promotionGate({ promotion: spec.promotion, self, source, spec, plan: upgrade, state: facts.state, now: new Date() });
            // Problems with the source itself are reported on promotion.from; refusals on the keys of the changes.
            const sourceIssues = gate.problems.filter(p => p.key.endsWith(":promotion.from")).map(p => `${p.message}. Fix: ${p.fix}`);
            promotion = { from, soak: spec.promotion.soak, verdicts: gate.verdicts, problems: readError.length ? readError : sourceIssues };
        }
        return {
            stack: name, running, next: facts.state, upgrade,
            ...(promotion ? { promotion } : {}),
            ...(args.offline ? {} : { preview: await preview(name) }),
        };
    } catch (e) {
        const error = e instanceof MeshConfigError ? e.message : `could not be planned: ${message(e).split("\n")[0]}`;
        return { stack: name, running, error };
    }
}

/** Runs the fleet plan, prints the report, and returns the exit status. */
export async function runFleet(args: FleetArgs, preview: (name: string) => Promise<PlanReport>): Promise<number> {
    const workspace = await LocalWorkspace.create({ workDir: args.workDir });
    const project = (await workspace.projectSettings()).name;
    // The file backend's organization is always "organization"; a service backend reports the user's organizations.
    const organization = (await workspace.whoAmI()).organizations?.[0] ?? "organization";
    const names = args.allStacks ? (await workspace.listStacks()).map(s => s.name.split("/").pop()!) : args.stacks;
    if (names.length === 0) {
        throw new Error("no stacks to plan: name them with --stacks staging,prod, or create one (pulumi stack init)");
    }
    const cache = new Map<string, Promise<SourceOutputs>>();
    const sourceOutputs = (qualified: string) => {
        if (!cache.has(qualified)) {
            cache.set(qualified, LocalWorkspace.selectStack({ stackName: qualified, workDir: args.workDir }).then(outputsOf));
        }
        return cache.get(qualified)!;
    };
    const inputs: FleetStackInput[] = [];
    // One at a time: each preview runs the engine, and this machine's CPUs are few.
    for (const name of names) {
        inputs.push(await gather(name, { organization, project, stack: name }, args, sourceOutputs, preview));
    }
    const report = buildFleetReport(inputs, new Date());
    process.stdout.write(renderFleet(report, args.format));
    report.stacks.filter(s => s.refused).forEach(s => s.reasons.forEach(r => process.stderr.write(`istio-mesh plan: ${s.stack}: ${r.split("\n")[0]}\n`)));
    return fleetExitCode(report);
}
