/** The health gate (pure): its config, its checks and their PromQL, where it stops a step, and how it judges. */
export * from "./checks";
export * from "./config";
export * from "./points";
export * from "./promql";
export * from "./verdict";
