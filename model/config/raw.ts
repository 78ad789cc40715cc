/** Pulumi's flat config map -> RawConfig. */
import { CONFIG_NAMESPACE } from "./schema";
import { RawConfig } from "./spec";

/** The secret config key holding registry credentials (a dockerconfigjson): never part of RawConfig. */
export const CREDENTIALS_KEY = "registryCredentials";

/**
 * This program's keys from Pulumi's flat config map (`istio-mesh:revisions` -> `revisions`), maps and lists
 * parsed from their JSON text. The credentials key is left out: its value is a secret and only its presence matters.
 */
export function rawConfigFromPulumi(all: Record<string, string>): { raw: RawConfig; hasCredentials: boolean } {
    const raw: RawConfig = {};
    let hasCredentials = false;
    for (const [fullKey, text] of Object.entries(all)) {
        if (!fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) {
            continue;
        }
        const key = fullKey.slice(CONFIG_NAMESPACE.length + 1);
        if (key === CREDENTIALS_KEY) {
            hasCredentials = text !== "";
            continue;
        }
        // Maps and lists arrive as JSON text; scalars are plain text ("1.33" is a version, not a number).
        raw[key] = /^\s*[[{]/.test(text) ? JSON.parse(text) : text;
    }
    return { raw, hasCredentials };
}
