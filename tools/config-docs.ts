/**
 * Writes the `config:` block of Pulumi.yaml and the README's configuration reference from the schema
 * (model/config/schema.ts). Run after changing the schema: `npx ts-node --transpile-only tools/config-docs.ts`.
 * `--check` only reports whether they are up to date (exit 1 when not).
 */
import * as fs from "fs";
import * as path from "path";
import { renderPulumiYaml, renderReadme } from "../model/config/docs";

const root = path.join(__dirname, "..");
const files: [string, (text: string) => string][] = [["Pulumi.yaml", renderPulumiYaml], ["README.md", renderReadme]];
let stale = 0;
for (const [name, render] of files) {
    const file = path.join(root, name);
    const before = fs.readFileSync(file, "utf8");
    const after = render(before);
    if (after === before) {
        continue;
    }
    stale++;
    if (process.argv.includes("--check")) {
        console.error(`${name} disagrees with model/config/schema.ts: run npx ts-node --transpile-only tools/config-docs.ts`);
    } else {
        fs.writeFileSync(file, after);
        console.log(`wrote ${name}`);
    }
}
process.exitCode = process.argv.includes("--check") && stale > 0 ? 1 : 0;
