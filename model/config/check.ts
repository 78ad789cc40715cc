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

/** A checked value: whether its shape is right, and the value with every null field of a fixed-key map left out. */
interface Checked {
    readonly ok: boolean;
    readonly value: unknown;
}

function checkObject(c: Collector, node: ObjectNode, v: Record<string, unknown>, path: string): Checked {
    let ok = reportUnknown(c, Object.keys(node.fields), v, path);
    const value: Record<string, unknown> = {};
    // An empty map is an unset one (Pulumi.yaml defaults maps to {}): its required keys apply once it has any.
    if (path !== "" && Object.keys(v).length === 0) {
        return { ok, value };
    }
    for (const [key, field] of Object.entries(node.fields)) {
        if (key in v || !field.required) {
            const checked = checkNode(c, field, v[key], join(path, key));
            ok = checked.ok && ok;
            if (checked.value !== undefined) {
                value[key] = checked.value;
            }
        } else {
            ok = false;
            c.add(join(path, key), undefined, "is required", `set it, e.g. ${example(field, join(path, key))}`);
        }
    }
    return { ok, value };
}

/** Checks the items of a list or the entries of a map, each at its path; an item with no value (`- ` alone) is a problem. */
function checkEach(c: Collector, node: SchemaNode, items: readonly [string, unknown][], what: string): { ok: boolean; values: unknown[] } {
    const checked = items.map(([path, e]): Checked => {
        if (e === undefined || e === null) {
            c.add(path, e, `is ${what} with no value`, `remove it, or write it, e.g. ${example(node, path)}`);
            return { ok: false, value: e };
        }
        return checkNode(c, node, e, path);
    });
    return { ok: checked.every(x => x.ok), values: checked.map(x => x.value) };
}

/**
 * Checks one value against its node, reporting each problem at or under `path`. A null field of a fixed-key map
 * is unset (YAML's `version:` with nothing after it), so the parsers never see a null where a value's place is.
 */
function checkNode(c: Collector, node: SchemaNode, v: unknown, path: string): Checked {
    if (v instanceof UnparsedJson) {
        c.add(path, v.text, `looks like JSON but is not (${v.error})`,
            `write it as a YAML ${typeName(node).replace(/^a /, "")} under config: in Pulumi.<stack>.yaml, or set one value at a time: ` +
            `pulumi config set --path '${path}${node.type === "list" ? "[0]" : ""}...' <value>`);
        return { ok: false, value: v };
    }
    if (v === undefined || v === null) {
        if (node.required) {
            c.add(path, v, "is required", `set it, e.g. ${example(node, path)}`);
        }
        return { ok: !node.required, value: undefined };
    }
    switch (node.type) {
        case "object":
            if (!isObject(v)) {
                break;
            }
            return checkObject(c, node, v, path);
        case "map": {
            if (!isObject(v)) {
                break;
            }
            const keys = Object.keys(v);
            const each = checkEach(c, node.entry, keys.map(k => [join(path, k), v[k]]), "an entry");
            return { ok: each.ok, value: Object.fromEntries(keys.map((k, i) => [k, each.values[i]])) };
        }
        case "list": {
            if (!Array.isArray(v)) {
                break;
            }
            const each = checkEach(c, node.items, v.map((e, i) => [`${path}[${i}]`, e]), "an item");
            return { ok: each.ok, value: each.values };
        }
        case "values":
            // Chart values pass through as written: a null there is Helm's way to remove a chart default.
            if (!isObject(v)) {
                break;
            }
            return { ok: true, value: v };
        default:
            if (!scalarOk(node, v) || (v === "" && node.required)) {
                break;
            }
            if (node.oneOf && !node.oneOf.includes(v as string)) {
                c.add(path, v, `is not one of ${node.oneOf.join(", ")}`, `use one of ${node.oneOf.join(", ")} (spelled exactly)`);
                return { ok: false, value: v };
            }
            return { ok: true, value: v };
    }
    const quote = typeof v === "number" && node.type === "string" ? " (quote it in YAML: a bare 1.30 is a number)" : "";
    c.add(path, v, `must be ${typeName(node)}${quote}`, `write it as ${typeName(node)}${node.example ? `, e.g. ${example(node, path)}` : ""}`);
    return { ok: false, value: v };
}

/**
 * Checks the whole config. Returns the top-level keys whose shape is right (the parsers read only those) and the
 * config with its null fields left out, for the parsers to read.
 */
export function checkShape(c: Collector, raw: Record<string, unknown>): { good: Set<string>; config: Record<string, unknown> } {
    const good = new Set<string>();
    const config: Record<string, unknown> = {};
    reportUnknown(c, Object.keys(CONFIG_SCHEMA.fields), raw, "");
    for (const [key, node] of Object.entries(CONFIG_SCHEMA.fields)) {
        const checked = checkNode(c, node, raw[key], key);
        if (checked.ok) {
            good.add(key);
        }
        if (checked.value !== undefined) {
            config[key] = checked.value;
        }
    }
    return { good, config };
}
