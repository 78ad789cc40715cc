/**
 * `npm run plan -- --stack <name> [--format text|markdown|json] [--policy-pack ./policies]`
 * `npm run plan -- --stacks staging,prod | --all-stacks [--offline] [...]`: the fleet plan (plan/fleet-run.ts).
 *
 * Runs `pulumi preview` through the Automation API (the real CLI underneath; any backend the CLI is logged
 * into, a local file backend included), and prints the step in upgrade terms. Exit status: 0 when the step is
 * safe, 1 when a mandatory policy objects, 2 when the preview fails or the arguments are wrong; the reason goes
 * to stderr.
 */
import * as path from "path";
import { EngineEvent, LocalWorkspace } from "@pulumi/pulumi/automation";
import { istioMeshPolicies } from "../policies/policies";
import { MeshState } from "../model/facts";
import { runFleet } from "./fleet-run";
import { pulumiCliProblem } from "./pulumi-cli";
import { gateValues } from "./gate";
import { buildReport, PlanReport } from "./report";
import { stepQuery } from "../components/gateStep";
import { GATE_SECRET_KEYS } from "../model/gate";
import { exitCode, Format, FORMATS, render } from "./render";

interface Args {
    stack: string; format: Format; policyPacks: string[]; policyPackConfigs: string[];
    /** The fleet plan: these stacks, or every stack of the project, previewed unless offline. */
    stacks: string[]; allStacks: boolean; offline: boolean;
    help: boolean;
}

const USAGE = `usage: npm run plan -- --stack <name> [--format text|markdown|json] [--policy-pack ./policies] [--policy-pack-config file]
       npm run plan -- --stacks staging,prod | --all-stacks [--offline] [--format ...]
Previews the stack with the pulumi CLI and prints the step in upgrade terms.
Exit status: 0 safe, 1 a mandatory policy objects, 2 the preview failed or the arguments are wrong.
`;

function parseArgs(argv: string[]): Args {
    const args: Args = { stack: "", format: "text", policyPacks: [], policyPackConfigs: [], stacks: [], allStacks: false, offline: false, help: false };
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split("=", 2);
        const value = () => inline ?? argv[++i];
        switch (flag) {
            case "--stack": args.stack = value(); break;
            case "--format": args.format = value() as Format; break;
            case "--policy-pack": args.policyPacks.push(path.resolve(value())); break;
            case "--policy-pack-config": args.policyPackConfigs.push(path.resolve(value())); break;
            case "--stacks": args.stacks.push(...value().split(",").map(x => x.trim()).filter(Boolean)); break;
            case "--all-stacks": args.allStacks = true; break;
            case "--offline": args.offline = true; break;
            case "--help": case "-h": args.help = true; break;
            default: throw new Error(`unknown argument ${argv[i]} (npm run plan -- --help)`);
        }
    }
    if (args.help) {
        return args;
    }
    if (!args.stack && args.stacks.length === 0 && !args.allStacks) {
        throw new Error("--stack is required, e.g. npm run plan -- --stack staging (or --stacks staging,prod, or --all-stacks)");
    }
    if (args.offline && args.stack) {
        throw new Error("--offline is for the fleet plan (--stacks or --all-stacks): the single-stack plan is its preview");
    }
    if (!FORMATS.includes(args.format)) {
        throw new Error(`--format must be one of ${FORMATS.join(", ")}, not ${args.format}`);
    }
    return args;
}

function progress(): { onEvent: (e: EngineEvent) => void; done: () => void } {
    const tty = process.stderr.isTTY;
    let steps = 0;
    return {
        onEvent: e => {
            if (tty && e.resourcePreEvent) {
                steps++;
                process.stderr.write(`\rpreviewing... ${steps} objects`);
            }
        },
        done: () => { if (tty) { process.stderr.write("\r\x1b[K"); } },
    };
}

/** Previews one stack and reports its step. */
async function planStack(stackName: string, args: Args): Promise<PlanReport> {
    const stack = await LocalWorkspace.selectStack({ stackName, workDir: path.join(__dirname, "..") });
    const previous = (await stack.outputs()).meshState?.value as MeshState | undefined;
    const events: EngineEvent[] = [];
    const bar = progress();
    let previewError: string | undefined;
    try {
        await stack.preview({
            onEvent: e => { events.push(e); bar.onEvent(e); },
            policyPacks: args.policyPacks.length ? args.policyPacks : undefined,
            policyPackConfigs: args.policyPackConfigs.length ? args.policyPackConfigs : undefined,
        });
    } catch (e) {
        previewError = (e instanceof Error ? e.message : String(e)).split("\n").filter(l => /\berror\b|violation|invalid/i.test(l)).slice(0, 5).join(" ") || "see the output above";
    } finally {
        bar.done();
    }
    // Which workloads restart is the program's own decision, made from the cluster during the preview (upgradePlan.rollout).
    const advice = Object.fromEntries(istioMeshPolicies.map(p => [p.name, p.description]));
    const report = buildReport(events, { stack: stackName, previous, advice, previewError });
    const gates = report.upgrade?.healthGate;
    if (!gates || gates.points.length === 0) {
        return report;
    }
    // Each gate's checks asked now, with the stack's own Prometheus credentials (secret config, read decrypted, never printed).
    const secret = async (key: string) => stack.getConfig(`istio-mesh:${key}`).then(c => c.value, () => undefined);
    const query = stepQuery(gates, { PROMETHEUS_BEARER_TOKEN: await secret(GATE_SECRET_KEYS.bearerToken), PROMETHEUS_HEADERS: await secret(GATE_SECRET_KEYS.headers) });
    return { ...report, healthGate: await gateValues(gates, query, Date.now(), report.upgrade!.revisionsAdded.map(r => r.name)) };
}

async function main(): Promise<number> {
    const args = parseArgs(process.argv.slice(2));
    if (args.help) {
        process.stdout.write(USAGE);
        return 0;
    }
    const cli = args.offline ? undefined : pulumiCliProblem();
    if (cli) {
        process.stderr.write(`istio-mesh plan: ${cli}\n`);
        return 2;
    }
    if (!args.stack) {
        return runFleet({ stacks: args.stacks, allStacks: args.allStacks, offline: args.offline, format: args.format,
            workDir: path.join(__dirname, "..") }, name => planStack(name, args));
    }
    const report = await planStack(args.stack, args);
    process.stdout.write(render(report, args.format));
    report.reasons.forEach(r => process.stderr.write(`istio-mesh plan: ${r}\n`));
    return exitCode(report);
}

main().then(code => process.exit(code), e => {
    process.stderr.write(`istio-mesh plan: ${e instanceof Error ? e.message : e}\n`);
    process.exit(2);
});
