/** Pulumi's flat config map -> RawConfig. */
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
    /** A secret set to nothing, e.g. from `"$(cat config.json)"` of a file that is not there. */
    empty: "[secret, empty]",
    /** A dockerconfigjson with no entry in `auths`, or an entry with no credentials. */
    noCredentials: "[secret, no credentials]",
} as const;

/** A structured value whose text looks like JSON but is not: the checks report it instead of a raw SyntaxError. */
export class UnparsedJson {
    constructor(readonly text: string, readonly error: string) {}
    toJSON(): string {
        return this.text;
    }
}

/**
 * Whether an `auths` entry holds credentials the kubelet can pull with: `auth` (base64 user:password), or username
 * and password. Docker writes entries without them when a credsStore or credHelpers keep them.
 */
function hasCredentials(entry: unknown): boolean {
    const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const text = (k: string) => typeof e[k] === "string" && e[k] !== "";
    return text("auth") || (text("username") && text("password"));
}

/** What RawConfig carries for credentials set as a secret, by what the secret holds. */
function secretMark(text: string): string {
    if (text.trim() === "") {
        return CREDENTIALS.empty;
    }
    let doc: any;
    try {
        doc = JSON.parse(text);
    } catch {
        return CREDENTIALS.notDockerConfig;
    }
    if (typeof doc !== "object" || doc === null || typeof doc.auths !== "object" || doc.auths === null || Array.isArray(doc.auths)) {
        return CREDENTIALS.notDockerConfig;
    }
    const entries = Object.values(doc.auths);
    return entries.length > 0 && entries.every(hasCredentials) ? CREDENTIALS.secret : CREDENTIALS.noCredentials;
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
            // Unset reads as "" (the Pulumi.yaml default); a secret set to "" is a mistake worth naming.
            if (isSecret(fullKey)) {
                raw[key] = secretMark(text);
            } else if (text !== "") {
                raw[key] = CREDENTIALS.plain;
            }
            continue;
        }
        // Maps and lists arrive as JSON text; scalars are plain text ("1.33" is a version, not a number, and a
        // path may start with "[").
        const node = CONFIG_SCHEMA.fields[key];
        const structured = node ? !["string", "integer", "boolean", "intOrString"].includes(node.type) : /^\s*[[{]/.test(text);
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
