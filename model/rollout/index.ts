/** The restart decision (pure), the request handed to the restart step, and its report: see decide.ts. */
export * from "./decide";
export * from "./observation";
export * from "./report";
export * from "./request";
