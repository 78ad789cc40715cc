/** A FleetReport as text (terminals), markdown (pull requests) or json (pipelines), like plan/render.ts. Pure. */
import { formatDuration } from "../model/duration";
import { isoSeconds } from "../model/promotion";
import { FleetBlocked, FleetReport, FleetStack } from "./fleet";
import { Format, JSON_FORMAT_VERSION } from "./render";

function list(xs: readonly string[]): string {
    return xs.length ? xs.join(", ") : "-";
}

function verdict(s: FleetStack): string {
    const preview = !s.preview.run ? "not previewed" : s.preview.safe ? "preview safe" : "preview NOT SAFE";
    return `${s.refused ? "REFUSED" : "ok"} (${s.deployed ? "deployed" : "never deployed"}; ${preview})`;
}

function revisionLine(r: FleetStack["revisions"][number]): string {
    return `${r.name} (${r.version}): tags ${list(r.tags)}; namespaces ${list(r.namespaces)}`;
}

function blockedLine(b: FleetBlocked): string {
    if (!b.change) {
        return `${b.stack} <- ${b.from}: ${b.reason}`;
    }
    const ran = b.ranForMs === undefined ? "never run there" : `run there ${formatDuration(b.ranForMs)}`;
    return `${b.stack} <- ${b.from}: ${b.change} (${b.version}), ${ran}; ${b.until ? `allowed from ${isoSeconds(b.until)}` : b.reason}`;
}

export function renderFleetText(r: FleetReport): string {
    const out: string[] = [];
    out.push(`Fleet plan, ${r.stacks.length} stack${r.stacks.length === 1 ? "" : "s"}: ${r.safe ? "every step may go ahead" : "SOME STEPS REFUSED"} (at ${isoSeconds(r.at)})`);
    for (const s of r.stacks) {
        out.push("", `Stack ${s.stack}: ${verdict(s)}`);
        s.reasons.forEach(x => out.push(`  ! ${x}`));
        out.push(`  runs now: ${list(s.running)}; after this step: ${list(s.next)}${s.cni ? ` (istio-cni ${s.cni})` : ""}`);
        s.revisions.forEach(rev => out.push(`  revision ${revisionLine(rev)}`));
        out.push(s.pending.length ? "  pending:" : "  pending: nothing (the mesh already matches this config)");
        s.pending.forEach(p => out.push(`    - ${p}`));
    }
    out.push("", "Versions in use (now -> after each step):");
    r.versions.forEach(v => out.push(`  ${v.version}: ${list(v.running)} -> ${list(v.next)}`));
    out.push("", "Stacks lagging more than one minor behind the fleet's newest:");
    out.push(...(r.lagging.length ? r.lagging.map(l => `  ${l.stack}: newest ${l.newest}, ${l.minorsBehind} minors behind ${l.fleetNewest} (${l.aheadStacks.join(", ")})`) : ["  none"]));
    out.push("", "End-of-life or unknown releases (now or after the step):");
    out.push(...(r.endOfLife.length ? r.endOfLife.map(e => `  ${e.stack}: ${e.version}: ${e.reason}`) : ["  none"]));
    out.push("", "Blocked promotions:");
    out.push(...(r.blocked.length ? r.blocked.map(b => `  ${blockedLine(b)}`) : ["  none"]));
    return out.join("\n") + "\n";
}

function cell(s: string): string {
    return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderFleetMarkdown(r: FleetReport): string {
    const out: string[] = [];
    out.push(`### Istio fleet plan ${r.safe ? "✅ every step may go ahead" : "❌ some steps refused"}`, "", `_Evaluated at ${isoSeconds(r.at)}._`, "");
    out.push("| stack | verdict | runs now | after this step | revisions (tags; namespaces) | pending |", "|---|---|---|---|---|---|");
    for (const s of r.stacks) {
        out.push(`| \`${s.stack}\` | ${cell(verdict(s))}${s.reasons.map(x => `<br>${cell(x)}`).join("")} | ${list(s.running)} | ${list(s.next)} | ` +
            `${cell(s.revisions.map(revisionLine).join("<br>") || "-")} | ${cell(s.pending.join("<br>") || "nothing")} |`);
    }
    out.push("", "**Versions in use**", "", "| version | now | after each step |", "|---|---|---|");
    r.versions.forEach(v => out.push(`| ${v.version} | ${list(v.running)} | ${list(v.next)} |`));
    out.push("", "**Lagging more than one minor**", "");
    out.push(...(r.lagging.length ? r.lagging.map(l => `- \`${l.stack}\`: newest ${l.newest}, ${l.minorsBehind} minors behind ${l.fleetNewest} (${l.aheadStacks.join(", ")})`) : ["None."]));
    out.push("", "**End-of-life or unknown releases**", "");
    out.push(...(r.endOfLife.length ? r.endOfLife.map(e => `- \`${e.stack}\` ${e.version}: ${cell(e.reason)}`) : ["None."]));
    out.push("", "**Blocked promotions**", "");
    out.push(...(r.blocked.length ? r.blocked.map(b => `- ${cell(blockedLine(b))}`) : ["None."]));
    return out.join("\n") + "\n";
}

export function renderFleetJson(r: FleetReport): string {
    return JSON.stringify({ formatVersion: JSON_FORMAT_VERSION, ...r }, null, 2) + "\n";
}

export function renderFleet(r: FleetReport, format: Format): string {
    return format === "json" ? renderFleetJson(r) : format === "markdown" ? renderFleetMarkdown(r) : renderFleetText(r);
}
