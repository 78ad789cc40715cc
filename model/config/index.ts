/**
 * The stack config layer (pure): the schema (schema.ts) checked at every depth (check.ts), the parsers that give
 * it meaning (revisions.ts, workloads.ts, sources.ts, parse.ts), the problems they report (problems.ts), the
 * validated spec (spec.ts), and the Pulumi.yaml and README reference generated from the schema (docs.ts).
 */
export * from "./schema";
export * from "./spec";
export * from "./problems";
export * from "./parse";
export * from "./raw";
export { DEFAULTS } from "./defaults";
