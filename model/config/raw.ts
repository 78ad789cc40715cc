/** Pulumi's flat config map -> RawConfig. */
import { GATE_SECRET, GATE_SECRET_KEYS, isHeaderMap } from "../gate/config";
import { CONFIG_NAMESPACE, CONFIG_SCHEMA } from "./schema";
import { RawConfig } from "./spec";

/** The secret config key holding registry credentials (a dockerconfigjson): its value never enters RawConfig. */
export const CREDENTIALS_KEY = "registryCredentials";

/** What RawConfig carries for `registryCredentials` instead of its value. */
export const CREDENTIALS = {
    /** Set as a secret, and a dockerconfigjson. */
    secret: "[secret]",
    /** Set in plain text: refused, whatever it holds. */
    plain: "[set in plain text]",
    /** A secret that is not a dockerconfigjson ({"auths": {...}}). */
    notDockerConfig: "[secret, not a dockerconfigjson]",
} as const;

/** A structured value whose text looks like JSON but is not: the checks report it instead of a raw SyntaxError. */
export class UnparsedJson {
    constructor(readonly text: string, readonly error: string) {}
    toJSON(): string {
        return this.text;
    }
}

function isDockerConfig(text: string): boolean {
    try {
        const doc = JSON.parse(text);
        return typeof doc === "object" && doc !== null && typeof doc.auths === "object" && doc.auths !== null;
    } catch {
        return false;
    }
}

/**
 * This program's keys from Pulumi's flat config map (`istio-mesh:revisions` -> `revisions`), maps and lists
 * parsed from their JSON text. `isSecret` says which full keys were set with --secret. The credentials' value is
 * left out (only whether and how it is set matters), and `secretKeys` lists this program's keys that are secret.
 */
export function rawConfigFromPulumi(all: Record<string, string>, isSecret: (fullKey: string) => boolean = () => false):
    { raw: RawConfig; hasCredentials: boolean; secretKeys: string[] } {
    const raw: RawConfig = {};
    const secretKeys: string[] = [];
    for (const [fullKey, text] of Object.entries(all)) {
        if (!fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) {
            continue;
        }
        const key = fullKey.slice(CONFIG_NAMESPACE.length + 1);
        if (isSecret(fullKey)) {
            secretKeys.push(key);
        }
        if (key === CREDENTIALS_KEY) {
            if (text !== "") {
                raw[key] = !isSecret(fullKey) ? CREDENTIALS.plain : isDockerConfig(text) ? CREDENTIALS.secret : CREDENTIALS.notDockerConfig;
            }
            continue;
        }
        if (key === GATE_SECRET_KEYS.bearerToken || key === GATE_SECRET_KEYS.headers) {
            if (text !== "") {
                raw[key] = !isSecret(fullKey) ? GATE_SECRET.plain
                    : key === GATE_SECRET_KEYS.headers && !isHeaderMap(text) ? GATE_SECRET.notHeaders : GATE_SECRET.secret;
            }
            continue;
        }
        // Maps and lists arrive as JSON text; scalars are plain text ("1.33" is a version, not a number, and a
        // path may start with "[").
        const node = CONFIG_SCHEMA.fields[key];
        const structured = node ? !["string", "integer", "boolean", "intOrString", "number"].includes(node.type) : /^\s*[[{]/.test(text);
        if (structured && /^\s*[[{]/.test(text)) {
            try {
                raw[key] = JSON.parse(text);
            } catch (e) {
                raw[key] = new UnparsedJson(text, (e as Error).message);
            }
        } else if (node?.type === "boolean" && (text === "true" || text === "false")) {
            // `pulumi config set istio-mesh:decommission true` stores text, as YAML's `true` does.
            raw[key] = text === "true";
        } else {
            raw[key] = text;
        }
    }
    return { raw, hasCredentials: raw[CREDENTIALS_KEY] === CREDENTIALS.secret, secretKeys };
}
