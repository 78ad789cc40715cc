/**
 * The promotion gate and the fleet plan through the real `pulumi` engine: two stacks of one project in one local
 * file backend, staging and prod, prod promoted from staging. Both render to directories (`renderDirectory`), so
 * no cluster is needed: what is under test is the reading of one stack's outputs by the other, the recorded start times,
 * the gate's refusals as the engine prints them, the policy fed the source's state, and `npm run plan --stacks`.
 *
 * Needs from the offline toolchain the pulumi CLI, its Node.js language host, the kubernetes and command providers
 * and the charts of the older Istio minor; without them it is skipped with the reason.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { revisionNameForVersion } from "../../istio";
import { RawConfig } from "../../model/config";
import { LocalProject, PulumiResult, toolchainEnv, toolchainMissing } from "../../demo/local";

/** The toolchain targets this test runs: no cluster binaries, no istioctl. */
const NEEDED = /^(node|pulumi|pulumi-language-nodejs|pulumi-resource-kubernetes|pulumi-resource-command|charts-[\d.]+)$/;

const STAGING = "organization/istio-mesh/staging";
const PROD = "organization/istio-mesh/prod";
const escape = (version: string) => version.replace(/\./g, "\\.");

describe("end to end: prod promoted from staging through the real engine", function () {
    let project: LocalProject;
    let scratch: string;
    let OLD: string;
    let NEW: string;
    let charts: string;

    before(function () {
        const missing = toolchainMissing(NEEDED);
        if (missing) {
            // Reported as pending (skipped) with the reason, never as passed.
            const reason = `skipped: toolchain missing: ${missing}; build it with 'npm run toolchain'`;
            console.log(`    ${reason}`);
            this.test!.title += ` (${reason})`;
            this.skip();
        }
        const env = toolchainEnv();
        [OLD, NEW] = [env.ISTIO_MESH_ISTIO_OLD!, env.ISTIO_MESH_ISTIO_NEW!];
        charts = `${env.ISTIO_MESH_CHARTS}/{version}`;
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-promotion-"));
        project = LocalProject.create("staging", env);
        project.mustPulumi("stack", "init", "prod");
    });

    after(() => {
        project?.dispose();
        if (scratch) {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    });

    /** A stack's whole config, rendered to its own directory (two namespace sets: staging's and prod's). */
    function config(stack: "staging" | "prod", step: Partial<RawConfig>): RawConfig {
        const namespaces = stack === "staging" ? { "shop-staging": "default" } : { "shop-prod": "default" };
        return {
            kubernetesVersion: "1.34",
            registry: { hub: "registry.example.com/istio" },
            charts: { localDir: charts },
            renderDirectory: path.join(scratch, stack),
            istioNamespace: `istio-${stack}`,
            revisions: [{ version: OLD }],
            tags: { default: revisionNameForVersion(OLD) },
            namespaces,
            ...step,
        };
    }

    /** Writes a stack's config file, keeping what `pulumi stack init` put there (the passphrase's salt). */
    function setConfig(stack: "staging" | "prod", raw: RawConfig): void {
        const file = path.join(project.dir, `Pulumi.${stack}.yaml`);
        const doc = (yaml.loadAll(fs.readFileSync(file, "utf8"))[0] ?? {}) as Record<string, unknown>;
        doc.config = Object.fromEntries(Object.entries(raw).map(([k, v]) => [`istio-mesh:${k}`, v]));
        fs.writeFileSync(file, yaml.dump(doc));
    }

    const output = (stack: string, name: string): any =>
        JSON.parse(project.mustPulumi("stack", "output", name, "--json", "--show-secrets", "--stack", stack).stdout);
    const refused = (r: PulumiResult): string => {
        assert.notStrictEqual(r.code, 0, `expected a refusal, got success:\n${r.stdout.slice(-2000)}`);
        return r.stdout + r.stderr;
    };

    it("1. staging runs the older version: its recorded state says since when", () => {
        setConfig("staging", config("staging", {}));
        project.up("--stack", "staging");
        const since = output("staging", "meshState").versionsRun[OLD].since;
        assert.ok(Date.parse(since) <= Date.now(), since);
    });

    it("2. prod refuses that version before the soak, naming the version, the source, how long and until when", () => {
        setConfig("prod", config("prod", { promotion: { from: STAGING, soak: "24h" } }));
        const out = refused(project.pulumi("preview", "--stack", "prod"));
        assert.match(out, new RegExp(`istio-mesh:revisions\\[0\\]\\.version = "${escape(OLD)}": revision ${revisionNameForVersion(OLD)} would run Istio ${escape(OLD)}, which ${STAGING} has run for [0-9dhm ]+ \\(since [0-9T:-]+Z\\) of the 24h soak`));
        assert.match(out, /Fix: wait until [0-9T:-]+Z \(allowed from then\)/);
    });

    it("3. prod takes it once the soak has passed, and records its promotion", () => {
        // One second has passed since staging's up: a 1s soak is over.
        setConfig("prod", config("prod", { promotion: { from: STAGING, soak: "1s" } }));
        project.up("--stack", "prod");
        assert.deepStrictEqual(output("prod", "promotion"), { from: STAGING, soak: "1s" });
        assert.ok(output("prod", "meshState").versionsRun[OLD].since);
    });

    it("4. prod refuses a version staging never ran", () => {
        setConfig("prod", config("prod", { promotion: { from: STAGING, soak: "1s" }, revisions: [{ version: OLD }, { version: NEW }] }));
        const out = refused(project.pulumi("preview", "--stack", "prod"));
        assert.match(out, new RegExp(`revision ${revisionNameForVersion(NEW)} would run Istio ${escape(NEW)}, which ${STAGING} has never run`));
    });

    it("5. a source that does not exist, and a cycle, are errors naming promotion.from", () => {
        setConfig("prod", config("prod", { promotion: { from: "organization/istio-mesh/nosuch", soak: "1s" } }));
        const missing = refused(project.pulumi("preview", "--stack", "prod"));
        assert.match(missing, /istio-mesh:promotion\.from = "organization\/istio-mesh\/nosuch": stack organization\/istio-mesh\/nosuch could not be read/);
        setConfig("staging", config("staging", { promotion: { from: PROD, soak: "1s" } }));
        const cycle = refused(project.pulumi("preview", "--stack", "staging"));
        assert.match(cycle, /organization\/istio-mesh\/prod is itself promoted from this stack \(organization\/istio-mesh\/staging\): a cycle/);
        setConfig("staging", config("staging", {}));
    });

    it("6. the policy pack, fed staging's state, refuses what has not soaked", () => {
        setConfig("prod", config("prod", { revisions: [{ version: OLD }] }));
        const packConfig = path.join(scratch, "promotion-policy.json");
        fs.writeFileSync(packConfig, JSON.stringify({
            "istio-promotion-soaked": { from: STAGING, soak: "24h", sourceState: output("staging", "meshState") },
        }));
        const out = refused(project.pulumi("preview", "--stack", "prod", "--policy-pack", path.join(project.dir, "policies"), "--policy-pack-config", packConfig));
        assert.match(out, /istio-promotion-soaked/);
        assert.match(out, new RegExp(`which ${STAGING} has run for \\d+m \\(since`));
    });

    it("7. npm run plan --stacks staging,prod: one report, prod's promotion blocked until the soak ends, exit status 1", () => {
        const both = [{ version: OLD }, { version: NEW }];
        setConfig("staging", config("staging", { revisions: both }));
        project.up("--stack", "staging");
        setConfig("prod", config("prod", { revisions: both, promotion: { from: STAGING, soak: "24h" } }));
        const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", "plan/cli.ts", "--stacks", "staging,prod", "--format", "json"],
            { cwd: project.dir, env: project.env, encoding: "utf8", maxBuffer: 1 << 26 });
        assert.strictEqual(r.status, 1, r.stderr);
        const report = JSON.parse(r.stdout);
        assert.deepStrictEqual(report.stacks.map((s: any) => [s.stack, s.deployed, s.refused, s.failed]),
            [["staging", true, false, false], ["prod", true, true, false]]);
        assert.deepStrictEqual(report.versions.map((v: any) => [v.version, v.running, v.next]),
            [[OLD, ["staging", "prod"], ["staging", "prod"]], [NEW, ["staging"], ["staging", "prod"]]]);
        assert.strictEqual(report.blocked.length, 1);
        const [blocked] = report.blocked;
        assert.deepStrictEqual([blocked.stack, blocked.from, blocked.change, blocked.version], ["prod", STAGING, `revision ${revisionNameForVersion(NEW)}`, NEW]);
        const since = output("staging", "meshState").versionsRun[NEW].since;
        assert.strictEqual(blocked.until, new Date(Date.parse(since) + 24 * 3_600_000).toISOString());
    });
});
