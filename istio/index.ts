/** Istio knowledge as plain data and pure functions, shared by the program, its config checks and the policy pack. */
export * from "./versions";
export * from "./support";
export * from "./names";
export * from "./charts";
export * from "./crds";
export * from "./tags";
export * from "./istioctl";
export * from "./images";
export * from "./injection";
export * from "./owned-values";
export * from "./ambient";
export * from "./gatewayApi";
