/**
 * The preview's read of the cluster (`kubectl proxy` on a Unix socket) through the real `pulumi` CLI, language host
 * and Kubernetes provider, with a kubeconfig whose exec credential plugin waits for a login (it prints its prompt and
 * sleeps; the server, 127.0.0.1:1, is never reached): the preview fails after `kubernetes.requestTimeout` showing the
 * prompt, and a preview sent SIGINT mid-read (as a CI runner cancels) leaves no proxy process and no socket directory.
 * No cluster is needed. Each preview gets a temporary directory of its own (TMPDIR), so what is left there is its.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalProject, toolchainEnv, toolchainMissing } from "../../demo/local";

const missing = toolchainMissing(/^(node|pulumi|pulumi-language-nodejs|pulumi-resource-kubernetes|kubectl)$/);
const PROMPT = "To sign in, use a web browser to open https://login.example.com/device and enter the code ABCD-1234 to authenticate.";

describe("end to end: the preview's cluster read is bounded, and its proxy never outlives the preview", function () {
    let project: LocalProject;
    let work: string;
    let pluginPids: string;

    before(function () {
        if (missing) {
            this.test!.title += ` (skipped: toolchain missing: ${missing}; build it with 'npm run toolchain')`;
            this.skip();
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "istio-mesh-read-e2e-"));
        pluginPids = path.join(work, "plugin.pids");
        const plugin = path.join(work, "login-plugin");
        fs.writeFileSync(plugin, `#!/bin/sh\necho $$ >> '${pluginPids}'\necho '${PROMPT}' >&2\nexec sleep 600\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(work, "kubeconfig"), JSON.stringify({
            apiVersion: "v1", kind: "Config", "current-context": "sso",
            clusters: [{ name: "sso", cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true } }],
            users: [{ name: "sso", user: { exec: { apiVersion: "client.authentication.k8s.io/v1", command: plugin, interactiveMode: "IfAvailable" } } }],
            contexts: [{ name: "sso", context: { cluster: "sso", user: "sso" } }],
        }));
        project = LocalProject.create("read", toolchainEnv());
    });

    after(() => {
        // The credential plugins the provider or kubectl started and left (by pid), then what this test made.
        for (const pid of fs.existsSync(pluginPids ?? "") ? fs.readFileSync(pluginPids, "utf8").split("\n").filter(Boolean) : []) {
            try {
                process.kill(Number(pid), "SIGKILL");
            } catch { /* gone */ }
        }
        project?.dispose();
        if (work) {
            fs.rmSync(work, { recursive: true, force: true });
        }
    });

    /** A fresh temporary directory for the next preview. */
    function tempDir(): string {
        return fs.mkdtempSync(path.join(work, "tmp-"));
    }
    const socketDirs = (tmp: string) => fs.readdirSync(tmp).filter(d => d.startsWith("istio-mesh-kubectl-"));
    /** Processes whose command line names `tmp`: the proxy (its --unix-socket) and its wrapper. */
    const proxies = (tmp: string) => fs.readdirSync("/proc").filter(p => /^\d+$/.test(p)).filter(p => {
        try {
            return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(tmp);
        } catch {
            return false;
        }
    });

    /** The credential plugins started by one of `parents`. */
    const pluginsOf = (parents: string[]) => (fs.existsSync(pluginPids) ? fs.readFileSync(pluginPids, "utf8").split("\n").filter(Boolean) : [])
        .filter(pid => {
            try {
                return parents.includes(fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ")[1]);
            } catch {
                return false;
            }
        });

    /** `pulumi preview` with TMPDIR=tmp; `whileRunning` is called every 200 ms until it exits (at most `limitMs`). */
    function preview(tmp: string, limitMs: number, whileRunning: (pid: number) => void = () => undefined):
        Promise<{ code: number | null; signal: string | null; output: string; ms: number }> {
        const started = Date.now();
        const child = spawn("pulumi", ["preview", "--non-interactive"], { cwd: project.dir, env: { ...project.env, TMPDIR: tmp } });
        let output = "";
        child.stdout.on("data", d => { output += d; });
        child.stderr.on("data", d => { output += d; });
        return new Promise((resolve, reject) => {
            const timer = setInterval(() => {
                if (Date.now() - started > limitMs) {
                    clearInterval(timer);
                    child.kill("SIGKILL");
                    reject(new Error(`pulumi preview still running after ${limitMs / 1000} s:\n${output.slice(-3000)}`));
                    return;
                }
                whileRunning(child.pid!);
            }, 200);
            child.on("exit", (code, signal) => {
                clearInterval(timer);
                resolve({ code, signal, output, ms: Date.now() - started });
            });
        });
    }

    const config = (requestTimeout: string) => ({
        revisions: [{ version: "1.30.2" }],
        namespaces: { shop: "1-30" },
        kubernetes: { kubeconfig: path.join(work, "kubeconfig"), requestTimeout },
    });

    it("a credential plugin waiting for a login fails the preview after kubernetes.requestTimeout, showing its prompt; no proxy and no socket directory are left", async () => {
        project.setConfig(config("5s"));
        const tmp = tempDir();
        const r = await preview(tmp, 180_000);
        assert.notStrictEqual(r.code, 0, r.output);
        assert.match(r.output, /reading what the cluster runs failed/, r.output.slice(-3000));
        // kubectl asks the plugin as the proxy starts, or at its first request, depending on its version.
        assert.match(r.output, /(did not start serving|no answer) within 5s \(istio-mesh:kubernetes\.requestTimeout = "5s"\)/, r.output.slice(-3000));
        assert.ok(r.output.includes(PROMPT), `the plugin's prompt is shown:\n${r.output.slice(-3000)}`);
        assert.deepStrictEqual({ dirs: socketDirs(tmp), processes: proxies(tmp) }, { dirs: [], processes: [] });
    });

    it("a preview sent SIGINT while reading the cluster leaves no proxy process and no socket directory", async () => {
        project.setConfig(config("10m"));
        const tmp = tempDir();
        let sent = false;
        const r = await preview(tmp, 180_000, pid => {
            // Once the proxy has asked the plugin for credentials, the read is under way: interrupt the CLI only, as a CI runner does.
            if (!sent && pluginsOf(proxies(tmp)).length > 0) {
                process.kill(pid, "SIGINT");
                sent = true;
            }
        });
        assert.ok(sent, `the read never started:\n${r.output.slice(-3000)}`);
        assert.notStrictEqual(r.code, 0, r.output.slice(-3000));
        // What is left once the CLI has exited (its plugins end with it): nothing.
        for (let i = 0; i < 50 && (socketDirs(tmp).length > 0 || proxies(tmp).length > 0); i++) {
            await new Promise(resolve => setTimeout(resolve, 200));
        }
        assert.deepStrictEqual({ dirs: socketDirs(tmp), processes: proxies(tmp) }, { dirs: [], processes: [] }, r.output.slice(-3000));
    });
});
