/**
 * Checks the shape of raw config against the schema at every depth: types, required keys, enumerations, and
 * unknown keys with a did-you-mean (`kubernetes.kubeConfig` -> `kubernetes.kubeconfig`). Meaning (names,
 * references, versions) is the parsers' job; they only see sections whose shape is right.
 */
import { Collector } from "./problems";
import { UnparsedJson } from "./raw";
import { CONFIG_SCHEMA, ObjectNode, ScalarNode, SchemaNode } from "./schema";

export function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Unset: absent, null, or the empty text/map Pulumi.yaml's defaults produce. */
export function isUnset(v: unknown): boolean {
    return v === undefined || v === null || v === "" || (isObject(v) && Object.keys(v).length === 0);
}

/** Levenshtein distance, case-insensitive (a capital in the wrong place counts as no difference). */
function distance(a: string, b: string): number {
    const s = a.toLowerCase();
    const t = b.toLowerCase();
    let row = Array.from({ length: t.length + 1 }, (_, j) => j);
    for (let i = 1; i <= s.length; i++) {
        const next = [i];
        for (let j = 1; j <= t.length; j++) {
            next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
        }
        row = next;
    }
    return row[t.length];
}

/** The known key closest to `key`, if it is close enough to be a typo. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
    const ranked = known.map(k => ({ k, d: distance(key, k) })).sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
    const best = ranked[0];
    return best && best.d <= Math.max(1, Math.min(3, Math.floor(key.length / 3))) ? best.k : undefined;
}

function join(path: string, key: string): string {
    return path === "" ? key : `${path}.${key}`;
}

function typeName(node: SchemaNode): string {
    switch (node.type) {
        case "object": return `a map {${Object.keys(node.fields).join(", ")}}`;
        case "map": case "values": return "a map";
        case "list": return "a list";
        case "integer": return "a whole number";
        case "intOrString": return "a whole number or a percentage";
        case "number": return "a number";
        case "boolean": return "true or false";
        default: return "a text value";
    }
}

function example(node: SchemaNode, path: string): string {
    const leaf = path.replace(/^.*[.\]]/, "");
    return node.example ? (node.example.includes(":") || node.example.startsWith("pulumi") ? node.example : `${leaf}: ${node.example}`) : "";
}

function scalarOk(node: ScalarNode, v: unknown): boolean {
    switch (node.type) {
        case "string": return typeof v === "string";
        case "integer": return typeof v === "number" && Number.isInteger(v);
        case "boolean": return typeof v === "boolean";
        case "number": return typeof v === "number" && Number.isFinite(v);
        default: return (typeof v === "number" && Number.isInteger(v)) || (typeof v === "string" && /^\d+%$/.test(v));
    }
}

/** Reports the keys of `v` that are not in `known`; false when there is one. */
function reportUnknown(c: Collector, known: readonly string[], v: Record<string, unknown>, path: string): boolean {
    let ok = true;
    for (const key of Object.keys(v)) {
        if (!known.includes(key)) {
            ok = false;
            const near = didYouMean(key, known);
            const where = path === "" ? "this program" : path;
            c.add(join(path, key), v[key], `is not a setting of ${where}`,
                near ? `did you mean ${join(path, near)}?` : `remove it; the settings of ${where} are ${known.join(", ")}`);
        }
    }
    return ok;
}

function checkObject(c: Collector, node: ObjectNode, v: Record<string, unknown>, path: string): boolean {
    let ok = reportUnknown(c, Object.keys(node.fields), v, path);
    // An empty map is an unset one (Pulumi.yaml defaults maps to {}): its required keys apply once it has any.
    if (path !== "" && Object.keys(v).length === 0) {
        return ok;
    }
    for (const [key, field] of Object.entries(node.fields)) {
        if (key in v || !field.required) {
            ok = checkNode(c, field, v[key], join(path, key)) && ok;
        } else {
            ok = false;
            c.add(join(path, key), undefined, "is required", `set it, e.g. ${example(field, join(path, key))}`);
        }
    }
    return ok;
}

/** Checks one value against its node; false when a problem was reported at or under `path`. */
export function checkNode(c: Collector, node: SchemaNode, v: unknown, path: string): boolean {
    if (v instanceof UnparsedJson) {
        c.add(path, v.text, `looks like JSON but is not (${v.error})`,
            `write it as a YAML ${typeName(node).replace(/^a /, "")} under config: in Pulumi.<stack>.yaml, or set one value at a time: ` +
            `pulumi config set --path '${path}${node.type === "list" ? "[0]" : ""}...' <value>`);
        return false;
    }
    if (v === undefined || v === null) {
        if (node.required) {
            c.add(path, v, "is required", `set it, e.g. ${example(node, path)}`);
            return false;
        }
        return true;
    }
    switch (node.type) {
        case "object":
            if (!isObject(v)) {
                break;
            }
            return checkObject(c, node, v, path);
        case "map":
            if (!isObject(v)) {
                break;
            }
            return Object.entries(v).map(([k, e]) => checkNode(c, node.entry, e, join(path, k))).every(Boolean);
        case "list":
            if (!Array.isArray(v)) {
                break;
            }
            return v.map((e, i) => checkNode(c, node.items, e, `${path}[${i}]`)).every(Boolean);
        case "values":
            if (!isObject(v)) {
                break;
            }
            return true;
        default:
            if (!scalarOk(node, v) || (v === "" && node.required)) {
                break;
            }
            if (node.oneOf && !node.oneOf.includes(v as string)) {
                c.add(path, v, `is not one of ${node.oneOf.join(", ")}`, `use one of ${node.oneOf.join(", ")} (spelled exactly)`);
                return false;
            }
            return true;
    }
    const quote = typeof v === "number" && node.type === "string" ? " (quote it in YAML: a bare 1.30 is a number)" : "";
    c.add(path, v, `must be ${typeName(node)}${quote}`, `write it as ${typeName(node)}${node.example ? `, e.g. ${example(node, path)}` : ""}`);
    return false;
}

/**
 * Checks the whole config; returns the top-level keys whose shape is right (the parsers read only those).
 */
export function checkShape(c: Collector, raw: Record<string, unknown>): Set<string> {
    const good = new Set<string>();
    reportUnknown(c, Object.keys(CONFIG_SCHEMA.fields), raw, "");
    for (const [key, node] of Object.entries(CONFIG_SCHEMA.fields)) {
        if (checkNode(c, node, raw[key], key)) {
            good.add(key);
        }
    }
    return good;
}
