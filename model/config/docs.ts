/**
 * The `Pulumi.yaml` config block and the README's configuration reference, generated from the schema
 * (`npx ts-node --transpile-only tools/config-docs.ts` writes both; a test fails when either is stale).
 */
import * as yaml from "js-yaml";
import { CONFIG_SCHEMA, SchemaNode } from "./schema";

/** Marks around the README's generated reference table. */
export const README_MARKS = { start: "<!-- config-reference:start -->", end: "<!-- config-reference:end -->" };

/** The fields of a map, as `{a, b.{c, d}, e}`, for the one-line descriptions in Pulumi.yaml. */
function fieldList(node: SchemaNode): string {
    if (node.type === "object") {
        return `{${Object.entries(node.fields).map(([k, f]) => f.type === "object" ? `${k}: ${fieldList(f)}` : k).join(", ")}}`;
    }
    if (node.type === "list") {
        return `[${fieldList(node.items)}]`;
    }
    return node.type === "map" ? `{<${node.keyName}>: ${node.entry.example}}` : "";
}

/**
 * Pulumi.yaml's `config:` block. Scalars are typed so the engine checks them; maps and lists are untyped (a
 * project config type cannot describe them) and default to {} / [] so that only `revisions` is required.
 * A secret is declared untyped with an empty default: the engine refuses a typed secret whose default is plain
 * text, and a secret without a default would be required. The program refuses a plain value itself.
 */
export function pulumiConfigBlock(): Record<string, Record<string, unknown>> {
    const block: Record<string, Record<string, unknown>> = {};
    for (const [key, node] of Object.entries(CONFIG_SCHEMA.fields)) {
        const fields = fieldList(node);
        const entry: Record<string, unknown> = {};
        if ((node.type === "string" || node.type === "integer" || node.type === "boolean") && !node.secret) {
            entry.type = node.type;
        }
        if (node.secret) {
            entry.secret = true;
        }
        if (!node.required) {
            entry.default = node.default ?? (node.type === "list" ? [] : node.type === "string" ? "" : {});
        }
        entry.description = fields ? `${node.doc} Fields: ${fields}.` : node.doc;
        block[key] = entry;
    }
    return block;
}

function typeText(node: SchemaNode): string {
    switch (node.type) {
        case "object": case "map": return "map";
        case "values": return "chart values";
        case "list": return node.items.type === "object" ? "list of maps" : `list of ${typeText(node.items)}s`;
        case "intOrString": return "integer or percentage";
        default: return node.secret ? `secret ${node.type}` : node.oneOf ? node.oneOf.join(" \\| ") : node.type;
    }
}

function defaultText(node: SchemaNode, path: string): string {
    if (node.required) {
        const parent = path.replace(/\.[^.]*$/, "");
        return parent === path || parent.endsWith("[]") ? "required" : `required when \`${parent}\` is set`;
    }
    if (node.defaultText) {
        return node.defaultText;
    }
    const d = node.default;
    if (d === undefined || d === "" || (typeof d === "object" && d !== null && Object.keys(d).length === 0 && node.type !== "list")) {
        return node.type === "object" || node.type === "map" || node.type === "values" ? "`{}`" : "none";
    }
    return `\`${typeof d === "string" ? d : JSON.stringify(d)}\``;
}

/** Every key at every depth as `path`, node pairs, parents before children. */
export function schemaKeys(node: SchemaNode = CONFIG_SCHEMA, path = ""): [string, SchemaNode][] {
    const out: [string, SchemaNode][] = path ? [[path, node]] : [];
    const join = (k: string) => (path ? `${path}.${k}` : k);
    if (node.type === "object") {
        for (const [k, f] of Object.entries(node.fields)) {
            out.push(...schemaKeys(f, join(k)));
        }
    } else if (node.type === "list" && (node.items.type === "object" || node.items.type === "list")) {
        out.push(...schemaKeys(node.items, `${path}[]`).slice(1));
    } else if (node.type === "map") {
        out.push(...schemaKeys(node.entry, join(`<${node.keyName}>`)));
    }
    return out;
}

/** The README's reference table: one row per key at every depth. */
export function referenceTable(): string {
    const rows = schemaKeys().map(([path, node]) =>
        `| \`${path}\` | ${typeText(node)} | ${defaultText(node, path)} | ${node.doc.replace(/\|/g, "\\|")} |`);
    return ["| key | type | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** Pulumi.yaml with its `config:` block (the last top-level key) replaced by the generated one. */
export function renderPulumiYaml(text: string): string {
    const head = text.replace(/^config:[\s\S]*$/m, "").trimEnd();
    return `${head}\n${yaml.dump({ config: pulumiConfigBlock() }, { lineWidth: 118, noRefs: true, quoteStyle: "double" })}`;
}

/** README.md with the text between the reference marks replaced by the generated table. */
export function renderReadme(text: string): string {
    const start = text.indexOf(README_MARKS.start);
    const end = text.indexOf(README_MARKS.end);
    if (start < 0 || end < start) {
        throw new Error(`README.md has no ${README_MARKS.start} ... ${README_MARKS.end} section for the configuration reference`);
    }
    return `${text.slice(0, start + README_MARKS.start.length)}\n${referenceTable()}\n${text.slice(end)}`;
}
