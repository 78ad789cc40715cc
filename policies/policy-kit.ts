/** Plumbing shared by the policies: the mesh observation of a stack, config with defaults, reporting on an origin. */
import { ReportViolation, StackValidation, StackValidationArgs } from "@pulumi/policy";
import { describe, MeshObservation, observeMesh } from "./mesh";
import { Origin } from "./resources";

/**
 * Every stack policy looks at the same observation; the engine hands each policy a fresh resource list, while
 * evaluatePolicies hands all of them one list, which is then observed once.
 */
const observations = new WeakMap<object, MeshObservation>();

export function meshOf(args: StackValidationArgs): MeshObservation {
    let mesh = observations.get(args.resources);
    if (!mesh) {
        mesh = observeMesh(args.resources);
        observations.set(args.resources, mesh);
    }
    return mesh;
}

/** A stack validation over the mesh observation. */
export function meshValidation(
    validate: (mesh: MeshObservation, args: StackValidationArgs, report: ReportViolation) => void,
): StackValidation {
    return (args, report) => validate(meshOf(args), args, report);
}

/** Reports a violation on the resource an observation came from, naming the object first. */
export function reportAt(report: ReportViolation, origin: Origin, message: string): void {
    report(`${describe(origin)}: ${message}`, origin.resource.urn);
}

/** The policy's settings from the pack config, over the defaults (the engine may or may not have filled them in). */
export function settingsOf<T extends object>(args: { getConfig<C extends object>(): C }, defaults: T): T {
    const given = args.getConfig<Partial<T>>();
    const out: T = { ...defaults };
    for (const [key, value] of Object.entries(given)) {
        if (value !== undefined && value !== null) {
            (out as Record<string, unknown>)[key] = value;
        }
    }
    return out;
}
