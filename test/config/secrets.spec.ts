/** Secrets stay secret: in the provider, the kubectl steps, the recorded state, and never in render mode's files. */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ofType, runProgram, TYPES } from "../support/mocks";

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const isSecretInput = (v: unknown) => typeof v === "object" && v !== null && Object.values(v).includes(SECRET_SIG);
const CREDENTIALS = JSON.stringify({ auths: { "registry.example.com": { auth: "c3JlOnMzY3JldA==" } } });
const config = {
    revisions: [{ version: "1.30.2" }], tags: { default: "1-30" }, namespaces: { shop: "default" },
    registry: { hub: "registry.example.com/istio" },
};
const cluster = JSON.stringify({ kubeconfig: "/secret/path/kubeconfig", context: "secret-context" });

function isSecretOutput(o: unknown): Promise<boolean> {
    return pulumi.Output.isInstance(o) ? (o as any).isSecret as Promise<boolean> : Promise.resolve(false);
}

describe("secrets under mocks", () => {
    it("a kubernetes key set as a secret stays secret in the provider, the kubectl steps and meshState", async () => {
        const run = await runProgram(config, undefined, { kubernetes: cluster });
        const provider = run.resources.find(r => r.type === "pulumi:providers:kubernetes")!;
        assert.ok(isSecretInput(provider.inputs.kubeconfig), `provider kubeconfig: ${JSON.stringify(provider.inputs.kubeconfig)}`);
        assert.ok(isSecretInput(provider.inputs.context), "provider context");
        for (const command of ofType(run, TYPES.command).filter(c => c.inputs.environment !== undefined)) {
            // The engine keeps secrecy per property: the whole environment is secret.
            assert.ok(isSecretInput(command.inputs.environment), `${command.name} environment in clear`);
            assert.strictEqual(command.inputs.environment.value.KUBECONFIG, "/secret/path/kubeconfig");
        }
        assert.ok(ofType(run, TYPES.command).length > 0, "no kubectl step to check");
        assert.strictEqual(await isSecretOutput(run.outputs.meshState), true);
    });

    it("a plain kubernetes key stays readable (the restarts' diff names each namespace)", async () => {
        const run = await runProgram({ ...config, kubernetes: JSON.parse(cluster) });
        const provider = run.resources.find(r => r.type === "pulumi:providers:kubernetes")!;
        assert.strictEqual(provider.inputs.kubeconfig, "/secret/path/kubeconfig");
        assert.strictEqual(await isSecretOutput(run.outputs.meshState), false);
    });

    it("applies registry credentials as a secret", async () => {
        const run = await runProgram(config, undefined, { registryCredentials: CREDENTIALS });
        const secrets = ofType(run, TYPES.secret);
        assert.ok(secrets.length > 0);
        for (const s of secrets) {
            assert.ok(isSecretInput(s.inputs.stringData), `${s.name} holds credentials in clear`);
            assert.strictEqual(s.inputs.stringData.value[".dockerconfigjson"], CREDENTIALS);
        }
    });

    it("render mode writes a placeholder, never the credentials", async () => {
        const run = await runProgram({ ...config, renderDirectory: "./rendered" }, undefined, { registryCredentials: CREDENTIALS });
        const secrets = ofType(run, TYPES.secret);
        assert.ok(secrets.length > 0);
        for (const s of secrets) {
            assert.strictEqual(s.inputs.stringData.value[".dockerconfigjson"], "{\"auths\":{}}");
            assert.strictEqual(s.inputs.metadata.annotations["istio-mesh.dev/placeholder"], "true");
        }
        assert.ok(!JSON.stringify(run.resources).includes("c3JlOnMzY3JldA=="), "the credentials reached a rendered resource");
    });

    it("a refused key set as a secret shows [secret] in the error, never its value", async () => {
        await assert.rejects(runProgram(config, undefined, { kubernetes: JSON.stringify({ kubeConfig: "/secret/path/kubeconfig" }) }), (e: Error) => {
            assert.match(e.message, /istio-mesh:kubernetes\.kubeConfig = "\[secret\]": is not a setting of kubernetes/);
            assert.ok(!e.message.includes("/secret/path"), e.message);
            return true;
        });
    });
});
