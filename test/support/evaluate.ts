/**
 * Runs the pack's policies over plain resources without the Pulumi engine, with the engine's semantics for
 * enforcement levels and policy config: for tests of what the program registers under mocks, and for benchmarks.
 */
import {
    EnforcementLevel, Policies, PolicyPackConfig, PolicyResource, PolicyResourceOptions, ResourceValidationArgs,
    ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { istioMeshPolicies, PACK_ENFORCEMENT_LEVEL } from "../../policies/policies";
import { ResourceLike } from "../../policies/resources";

export interface Violation {
    policyName: string;
    enforcementLevel: EnforcementLevel;
    message: string;
    /** The resource the violation is about; absent for a violation of the whole stack. */
    urn?: string;
}

/** Thrown by `notApplicable()`, as the engine's own runner does; no stack trace, as it is thrown for many resources. */
class NotApplicable {
    constructor(readonly reason?: string) {}
}

export function isNotApplicable(e: unknown): boolean {
    return e instanceof NotApplicable;
}

const NO_OPTIONS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function notApplicable(reason?: string): never {
    throw new NotApplicable(reason);
}

function urnOf(resource: ResourceLike): string {
    return resource.urn ?? `urn:pulumi:stack::project::${resource.type}::${resource.name}`;
}

function isOfType(type: string, resourceClass: unknown): boolean {
    return (resourceClass as { __pulumiType?: string } | undefined)?.__pulumiType === type;
}

/** The arguments the engine passes to a resource validation. */
export function resourceValidationArgs(resource: ResourceLike, settings: Record<string, unknown> = {}): ResourceValidationArgs {
    const { type, props } = resource;
    return {
        type,
        props,
        urn: urnOf(resource),
        name: resource.name,
        opts: NO_OPTIONS,
        stackTags: new Map(),
        isType: resourceClass => isOfType(type, resourceClass),
        asType: resourceClass => isOfType(type, resourceClass) ? props as any : undefined,
        getConfig: <T extends object>() => settings as T,
        notApplicable,
    };
}

/** The resources the engine passes to a stack validation. */
export function policyResources(resources: readonly ResourceLike[]): PolicyResource[] {
    return resources.map(resource => {
        const { type, props } = resource;
        return {
            type,
            props,
            urn: urnOf(resource),
            name: resource.name,
            opts: NO_OPTIONS,
            dependencies: [],
            propertyDependencies: {},
            isType: resourceClass => isOfType(type, resourceClass),
            asType: resourceClass => isOfType(type, resourceClass) ? props as any : undefined,
        };
    });
}

/** The arguments the engine passes to a stack validation. */
export function stackValidationArgs(resources: PolicyResource[], settings: Record<string, unknown> = {}): StackValidationArgs {
    return {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => settings as T,
        notApplicable,
    };
}

/** A policy's level and settings under the pack config, as the engine resolves them. */
export function policyConfig(policy: { name: string; enforcementLevel?: EnforcementLevel }, config: PolicyPackConfig = {}):
    { enforcementLevel: EnforcementLevel; settings: Record<string, unknown> } {
    const given = config[policy.name];
    const { enforcementLevel, ...settings } = typeof given === "string" ? { enforcementLevel: given } : given ?? {};
    const level = enforcementLevel ?? policy.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL;
    // Violations of a remediating policy that still fail are reported as mandatory, as the engine does.
    return { enforcementLevel: level === "remediate" ? "mandatory" : level, settings };
}

async function guarded(run: () => void | Promise<void>): Promise<void> {
    try {
        await run();
    } catch (e) {
        if (!isNotApplicable(e)) {
            throw e;
        }
    }
}

function isStackPolicy(policy: ResourceValidationPolicy | StackValidationPolicy): policy is StackValidationPolicy {
    return typeof (policy as StackValidationPolicy).validateStack === "function";
}

/** Runs every policy (resource and stack) over `resources`; linear in their number. */
export async function evaluatePolicies(
    resources: readonly ResourceLike[],
    config: PolicyPackConfig = {},
    policies: Policies = istioMeshPolicies,
): Promise<Violation[]> {
    const violations: Violation[] = [];
    // One list for every stack policy, so they share one mesh observation.
    const stackResources = policyResources(resources);
    for (const policy of policies) {
        const { enforcementLevel, settings } = policyConfig(policy, config);
        if (enforcementLevel === "disabled") {
            continue;
        }
        const record = (message: string, urn?: string) =>
            violations.push({ policyName: policy.name, enforcementLevel, message, ...(urn ? { urn } : {}) });
        if (isStackPolicy(policy)) {
            await guarded(() => policy.validateStack(stackValidationArgs(stackResources, settings), record));
            continue;
        }
        const validations = policy.validateResource === undefined ? []
            : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
        for (const resource of resources) {
            const args = resourceValidationArgs(resource, settings);
            for (const validate of validations) {
                // A resource policy's violations are always about the resource it validates.
                await guarded(() => validate(args, message => record(message, args.urn)));
            }
        }
    }
    return violations;
}
