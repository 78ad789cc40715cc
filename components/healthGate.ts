/**
 * The health gate's steps (model/gate): a Command per gate point whose request (its stdin) lists every check, so the
 * preview shows what is watched, where and with which thresholds; what moves next depends on it. The Prometheus
 * credentials reach the step only as secrets in its environment.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { formatGateRequest, GateRequest } from "../model/gate";
import { GATE_STEP_COMMAND } from "./gateStep";

/** The secret config of the gate's Prometheus, as the program read it (never plain). */
export interface GateCredentials {
    readonly bearerToken?: pulumi.Output<string>;
    readonly headers?: pulumi.Output<string>;
}

/** The step environment that carries the credentials: each value a secret, so the preview and state show [secret]. */
export function credentialEnvironment(credentials: GateCredentials | undefined): Record<string, pulumi.Input<string>> {
    return {
        ...(credentials?.bearerToken ? { PROMETHEUS_BEARER_TOKEN: pulumi.secret(credentials.bearerToken) } : {}),
        ...(credentials?.headers ? { PROMETHEUS_HEADERS: pulumi.secret(credentials.headers) } : {}),
    };
}

/**
 * When a change began: a step that records the time (`date +%s`) and runs again when `key` (what the change is)
 * changes. The change depends on it, and its gate compares with the mesh as it was then.
 */
export function gateStart(name: string, key: string, opts: pulumi.CustomResourceOptions): command.local.Command {
    return new command.local.Command(`${name}-start`, { create: "date +%s", triggers: [key] }, opts);
}

/**
 * The gate after a change: runs on create and on every update of its request, so a failed gate (or one whose checks
 * changed) checks again on the next `up`. `since` is when the change began (gateStart's output); default: when the gate starts.
 */
export function gateStep(name: string, request: GateRequest, credentials: GateCredentials | undefined, opts: pulumi.CustomResourceOptions,
                         since?: pulumi.Input<string>): command.local.Command {
    return new command.local.Command(name, {
        create: GATE_STEP_COMMAND,
        update: GATE_STEP_COMMAND,
        interpreter: ["/bin/bash", "-c"],
        stdin: formatGateRequest(request),
        environment: { ...credentialEnvironment(credentials), ...(since ? { GATE_SINCE: since } : {}) },
    }, opts);
}
