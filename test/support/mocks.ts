/**
 * Runs the real program under Pulumi's mocks and returns what it registered. Nothing leaves the process:
 * resources echo their inputs, the self stack reference returns the given previous state.
 */
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { RawConfig } from "../../model/config";
import { MeshState } from "../../model/facts";
import { Observation } from "../../model/rollout";

export interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** The URNs the SDK sent as the resource's dependencies (what Pulumi orders its create and delete by). */
    dependencies: string[];
    /** Registered with `protect` (the engine refuses to delete it). */
    protect: boolean;
    /** Registered with `retainOnDelete` (the engine forgets it without deleting it). */
    retainOnDelete: boolean;
}

/** The error of a program that failed under mocks, with the resources it registered before failing. */
export type ProgramError = Error & { registered: Registered[] };

export interface ProgramRun {
    resources: Registered[];
    outputs: Record<string, any>;
    /** Invokes the program made (e.g. istioctl renders), with their args. */
    calls: { token: string; inputs: Record<string, any> }[];
}

/** The CRDs the stand-in renders of the base chart below hold, sorted. */
export const RENDERED_CRDS = ["authorizationpolicies.security.istio.io", "virtualservices.networking.istio.io"];

const crd = (name: string, source: string) => ({
    apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name },
    spec: { group: name.split(".").slice(1).join("."), source },
});

/** Two CRDs and the default validator, as the provider's `helm template` renders the base chart at `path`. */
export function renderedBase(opts: { path?: string; chart?: string }): Record<string, unknown>[] {
    return [...RENDERED_CRDS.map(n => crd(n, opts.path ?? opts.chart ?? "")),
        { apiVersion: "admissionregistration.k8s.io/v1", kind: "ValidatingWebhookConfiguration", metadata: { name: "istiod-default-validator" } }];
}

/** What a stand-in `istioctl manifest generate` prints for a `command:local:run` invoke: the base component holds the CRDs. */
export function istioctlRender(inputs: { command: string; stdin: string }): string {
    const component = Object.keys(JSON.parse(inputs.stdin).spec.components)[0];
    const header = `# rendered by ${inputs.command.split(" ")[0]}\n`;
    return component === "base" ? header + renderedBase({ chart: inputs.command }).map(o => yaml.dump(o)).join("---\n") : header;
}

// The mocks' RPC queue is internal to the SDK; waiting for it is how tests know every registration happened.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const settings = require("@pulumi/pulumi/runtime/settings");

/** The stack the program runs as under mocks. */
export const SELF_STACK = "organization/istio-mesh/test";

/**
 * Runs program.ts with `config` (keys without the `istio-mesh:` prefix) and `previous` as the recorded state.
 * `secrets` are set as secret config (e.g. registryCredentials). `stacks` are the outputs of other stacks by
 * qualified name, as the engine's readStackOutputs reads them; an Error makes reading that stack fail, and so does a name not there.
 * `observation` is what the cluster runs (default: the bound namespaces hold no workload).
 */
export async function runProgram(config: RawConfig, previous?: MeshState, secrets: Record<string, string> = {},
                                 callResult: (token: string, inputs: any) => Record<string, any> = () => ({}),
                                 stacks: Record<string, Record<string, unknown> | Error> = {},
                                 observation: Observation = { namespaceLabels: {}, objects: [] }): Promise<ProgramRun> {
    const resources: Registered[] = [];
    const calls: ProgramRun["calls"] = [];
    // The mocks' newResource is not given the dependencies and options; the monitor's request carries them.
    const dependencies = new Map<string, { dependencies: string[]; protect: boolean; retainOnDelete: boolean }>();
    await pulumi.runtime.setMocks({
        newResource(args: pulumi.runtime.MockResourceArgs) {
            const sent = dependencies.get(`${args.type}::${args.name}`);
            resources.push({
                type: args.type, name: args.name, inputs: args.inputs, dependencies: sent?.dependencies ?? [], protect: sent?.protect ?? false,
                retainOnDelete: sent?.retainOnDelete ?? false,
            });
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            if (args.token === "pulumi:pulumi:readStackOutputs") {
                const name = args.inputs.name as string;
                if (name === SELF_STACK) {
                    return { name, outputs: previous ? { meshState: previous } : {} };
                }
                const outputs = stacks[name] ?? new Error(`unknown stack "${name}"`);
                if (outputs instanceof Error) {
                    // The SDK reads a failed invoke's gRPC `details`, as the engine sends them.
                    throw Object.assign(outputs, { details: outputs.message });
                }
                return { name, outputs };
            }
            calls.push({ token: args.token, inputs: args.inputs });
            if (args.token === "kubernetes:helm:template") {
                return { result: renderedBase(JSON.parse(args.inputs.jsonOpts)), ...callResult(args.token, args.inputs) };
            }
            return callResult(args.token, args.inputs);
        },
    }, "istio-mesh", "test", false, "organization");
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        dependencies.set(`${req.getType()}::${req.getName()}`,
            { dependencies: req.getDependenciesList(), protect: req.getProtect(), retainOnDelete: req.getRetainondelete() === true });
        return register(req, callback);
    };
    const all: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        all[`istio-mesh:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    for (const [k, v] of Object.entries(secrets)) {
        all[`istio-mesh:${k}`] = v;
    }
    pulumi.runtime.setAllConfig(all, Object.keys(secrets).map(k => `istio-mesh:${k}`));
    // Import late so the program's module-level code (none today) would see the mocks.
    const { run } = await import("../../program");
    let outputs: Record<string, any>;
    try {
        // A retiring step reads every pod of the cluster: unless the test gives them, the cluster runs none.
        outputs = await run((spec, clusterWide) => (spec.renderDirectory ? undefined
            : clusterWide && !observation.cluster ? { ...observation, cluster: { namespaces: [], pods: [] } } : observation));
    } catch (e) {
        // What was registered before the program failed, for tests that assert "nothing" (see ProgramError).
        await settings.waitForRPCs();
        throw Object.assign(e as Error, { registered: resources });
    }
    await settings.waitForRPCs();
    return { resources, outputs, calls };
}

/** The resources of one type, e.g. "kubernetes:helm.sh/v4:Chart". */
export function ofType(run: ProgramRun, type: string): Registered[] {
    return run.resources.filter(r => r.type === type);
}

/** The one resource with this type and name; throws a readable error listing what exists otherwise. */
export function find(run: ProgramRun, type: string, name: string): Registered {
    const found = run.resources.find(r => r.type === type && r.name === name);
    if (!found) {
        const names = ofType(run, type).map(r => r.name).join(", ");
        throw new Error(`no ${type} named ${name}; registered: ${names || "(none)"}`);
    }
    return found;
}

export const TYPES = {
    chart: "kubernetes:helm.sh/v4:Chart",
    configGroup: "kubernetes:yaml/v2:ConfigGroup",
    namespacePatch: "kubernetes:core/v1:NamespacePatch",
    namespace: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    service: "kubernetes:core/v1:Service",
    webhook: "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
    command: "command:local:Command",
} as const;
