/** A PlanReport as text (terminals), markdown (pull requests) or json (pipelines). Pure. */
import { revisionWithVersion } from "../istio";
import { describeResult } from "../model/gate";
import { gateLines } from "./gate";
import { Change, PlanReport, SkewRow } from "./report";

export type Format = "text" | "markdown" | "json";
export const FORMATS: readonly Format[] = ["text", "markdown", "json"];

/** The JSON format's version: bumped only when a field changes meaning or disappears. */
export const JSON_FORMAT_VERSION = 1;

function side(s?: { revision: string; version: string }): string {
    return s ? revisionWithVersion(s) : "-";
}

function workloads(n: number | null, restart: boolean): string {
    if (!restart) {
        return "no restart (its pods run the target)";
    }
    return n === null ? "restarts not decided (no cluster observed: render mode)" : `restart ${n} workload${n === 1 ? "" : "s"}`;
}

/** "update MutatingWebhookConfiguration tag-default": the kind tells apart objects that share a name. */
function object(c: Change): string {
    return `${c.op} ${c.type.split(":").pop()} ${c.name}`;
}

function skewLine(r: SkewRow): string {
    return r.ok ? "ok" : `SKEW: ${r.reason}`;
}

export function renderText(r: PlanReport): string {
    const out: string[] = [];
    out.push(`Upgrade step for stack ${r.stack}: ${r.safe ? "SAFE" : "NOT SAFE"}`);
    r.reasons.forEach(x => out.push(`  ! ${x}`));
    out.push("");
    out.push("What changes, in the order `pulumi up` carries it out:");
    if (r.upgrade && r.upgrade.summary.length > 0) {
        r.upgrade.summary.forEach(s => out.push(`  - ${s}`));
    } else {
        out.push("  (nothing: the mesh already matches this config)");
    }
    if (r.namespaces.length > 0) {
        out.push("", "Namespaces:");
        r.namespaces.forEach(n => out.push(`  ${n.namespace}: ${side(n.from)} -> ${side(n.to)}; ${workloads(n.workloads, n.restart)}`));
    }
    if (r.skew.length > 0) {
        out.push("", "Proxy versions against their control plane (before -> after):");
        r.skew.forEach(s => out.push(`  ${s.proxies}: ${side(s.before)} -> ${side(s.after)}  ${skewLine(s)}`));
    }
    if (r.healthGate) {
        out.push("", ...gateLines(r.healthGate));
    }
    out.push("", "Policies:");
    if (r.policies.length === 0) {
        out.push("  no violations");
    }
    r.policies.forEach(p => out.push(`  [${p.level}] ${p.policy}${p.resource ? ` (${p.resource})` : ""}: ${p.message}${p.advice ? `\n      advice: ${p.advice}` : ""}`));
    if (r.phases.length > 0) {
        out.push("", "Objects by phase:");
        r.phases.forEach(p => out.push(`  ${p.phase}: ${p.changes.map(object).join(", ")}`));
    }
    out.push("", `Objects: ${Object.entries(r.counts).map(([op, n]) => `${n} ${op}`).join(", ")}`);
    r.errors.forEach(e => out.push(`error: ${e}`));
    return out.join("\n") + "\n";
}

function cell(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderMarkdown(r: PlanReport): string {
    const out: string[] = [];
    out.push(`### Istio upgrade step: \`${r.stack}\` ${r.safe ? "✅ safe" : "❌ not safe"}`);
    r.reasons.forEach(x => out.push(`> **${cell(x)}**`));
    out.push("", "**Changes** (in the order `pulumi up` carries them out)", "");
    if (r.upgrade && r.upgrade.summary.length > 0) {
        r.upgrade.summary.forEach(s => out.push(`1. ${cell(s)}`));
    } else {
        out.push("_Nothing: the mesh already matches this config._");
    }
    if (r.namespaces.length > 0) {
        out.push("", "| namespace | from | to | restarts |", "|---|---|---|---|");
        r.namespaces.forEach(n => out.push(`| ${n.namespace} | ${side(n.from)} | ${side(n.to)} | ${workloads(n.workloads, n.restart)} |`));
    }
    if (r.skew.length > 0) {
        out.push("", "| proxies | before | after | skew |", "|---|---|---|---|");
        r.skew.forEach(s => out.push(`| ${s.proxies} | ${side(s.before)} | ${side(s.after)} | ${cell(skewLine(s))} |`));
    }
    if (r.healthGate) {
        const g = r.healthGate;
        out.push("", `**Health gate** (Prometheus ${g.url}, bake ${g.bake}, window ${g.window}; values at ${g.at})`, "");
        if (g.onNoData === "skip") {
            out.push("> **WARNING: healthGate.onNoData is skip: a check Prometheus cannot answer is skipped, not failed**", "");
        }
        g.points.forEach(p => out.push(`- after ${cell(p.point)}: ${p.passesNow ? "would pass now" : "**would fail now**"}`,
            ...p.checks.map(c => `  - ${cell(describeResult(c))}`)));
    }
    out.push("", "**Policies**", "");
    if (r.policies.length === 0) {
        out.push("No violations.");
    } else {
        out.push("| level | policy | resource | message | advice |", "|---|---|---|---|---|");
        r.policies.forEach(p => out.push(`| ${p.level} | \`${p.policy}\` | ${p.resource ?? ""} | ${cell(p.message)} | ${cell(p.advice ?? "")} |`));
    }
    out.push("", "<details><summary>Objects by phase</summary>", "");
    r.phases.forEach(p => out.push(`- **${p.phase}**: ${p.changes.map(c => `\`${object(c)}\``).join(", ")}`));
    out.push("", `Objects: ${Object.entries(r.counts).map(([op, n]) => `${n} ${op}`).join(", ")}`, "", "</details>");
    return out.join("\n") + "\n";
}

export function renderJson(r: PlanReport): string {
    return JSON.stringify({ formatVersion: JSON_FORMAT_VERSION, ...r }, null, 2) + "\n";
}

export function render(r: PlanReport, format: Format): string {
    return format === "json" ? renderJson(r) : format === "markdown" ? renderMarkdown(r) : renderText(r);
}

/** The exit status of `npm run plan`: 0 when the step is safe. */
export function exitCode(r: PlanReport): number {
    if (r.errors.length > 0 || r.reasons.some(x => x.startsWith("the preview failed"))) {
        return 2;
    }
    return r.safe ? 0 : 1;
}
