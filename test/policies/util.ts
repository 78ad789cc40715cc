/**
 * awsguard-style assertions for policies, run without the Pulumi engine. Arguments are built the way the engine builds
 * them (policies/evaluate.ts), with a `report` collector; `notApplicable()` counts as "no violation".
 */
import * as assert from "assert";
import {
    ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { isNotApplicable, policyResources, resourceValidationArgs, stackValidationArgs } from "../support/evaluate";
import { ResourceLike } from "../../policies/resources";

export type Settings = Record<string, unknown>;

export interface ReportedViolation {
    message: string;
    urn?: string;
}

/** Arguments for a resource validation of `resource`, with the policy's settings. */
export function resourceArgs(resource: ResourceLike, settings: Settings = {}): ResourceValidationArgs {
    return resourceValidationArgs(resource, settings);
}

/** Arguments for a stack validation of `resources`, with the policy's settings. */
export function stackArgs(resources: readonly ResourceLike[], settings: Settings = {}): StackValidationArgs {
    return stackValidationArgs(policyResources(resources), settings);
}

async function collect(run: (report: (message: string, urn?: string) => void) => void | Promise<void>): Promise<ReportedViolation[]> {
    const violations: ReportedViolation[] = [];
    try {
        await run((message, urn) => violations.push({ message, urn }));
    } catch (e) {
        // notApplicable() throws; anything else is a bug in the policy.
        if (!isNotApplicable(e)) {
            throw e;
        }
    }
    return violations;
}

export async function resourceViolations(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<ReportedViolation[]> {
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
    const all: ReportedViolation[] = [];
    for (const validate of validations) {
        all.push(...await collect(report => validate(args, message => report(message, args.urn))));
    }
    return all;
}

export function stackViolations(policy: StackValidationPolicy, args: StackValidationArgs): Promise<ReportedViolation[]> {
    return collect(report => policy.validateStack(args, report));
}

function matches(violation: ReportedViolation, message: string | RegExp): boolean {
    return typeof message === "string" ? violation.message.includes(message) : message.test(violation.message);
}

function assertHas(violations: ReportedViolation[], policy: string, expected: { message?: string | RegExp; urn?: string }): void {
    assert.ok(violations.length > 0, `expected a violation of ${policy}, got none`);
    const hit = violations.find(v => (expected.message === undefined || matches(v, expected.message)) &&
        (expected.urn === undefined || v.urn === expected.urn));
    assert.ok(hit, `expected a violation of ${policy} matching ${expected.message ?? ""} ${expected.urn ?? ""}, got:\n` +
        violations.map(v => `  ${v.message} (${v.urn})`).join("\n"));
}

function assertNone(violations: ReportedViolation[], policy: string): void {
    assert.deepStrictEqual(violations.map(v => v.message), [], `expected no violation of ${policy}`);
}

export async function assertHasResourceViolation(policy: ResourceValidationPolicy, args: ResourceValidationArgs,
                                                 expected: { message?: string | RegExp } = {}): Promise<void> {
    assertHas(await resourceViolations(policy, args), policy.name, expected);
}

export async function assertNoResourceViolations(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<void> {
    assertNone(await resourceViolations(policy, args), policy.name);
}

export async function assertHasStackViolation(policy: StackValidationPolicy, args: StackValidationArgs,
                                              expected: { message?: string | RegExp; urn?: string } = {}): Promise<void> {
    assertHas(await stackViolations(policy, args), policy.name, expected);
}

export async function assertNoStackViolations(policy: StackValidationPolicy, args: StackValidationArgs): Promise<void> {
    assertNone(await stackViolations(policy, args), policy.name);
}
