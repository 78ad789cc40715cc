/** Namespace patches are registered a few at a time, so 5,000 namespaces do not hold 5,000 pending registrations. */
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { bindPaced } from "../../components/namespaceBinding";

/** Mocks whose engine records each registration it receives; `fail` names one it refuses. */
async function engine(fail?: string): Promise<string[]> {
    const received: string[] = [];
    await pulumi.runtime.setMocks({
        newResource(args: pulumi.runtime.MockResourceArgs) {
            received.push(args.name);
            if (args.name === fail) {
                throw new Error(`${args.name} refused`);
            }
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: () => ({}),
    }, "istio-mesh", "test", false);
    return received;
}

const names = Array.from({ length: 12 }, (_, i) => `ns-${i}`);
class Patch extends pulumi.CustomResource {
    constructor(name: string) {
        super("kubernetes:core/v1:NamespacePatch", name, { metadata: { name } });
    }
}
const patch = (name: string) => new Patch(name);

describe("bindPaced: namespace patches registered a few at a time", () => {
    it("starts a patch only once the one `inFlight` places before it is registered, and registers all in order", async () => {
        const received = await engine();
        const answeredBefore: boolean[] = [];
        const bound = await bindPaced(names, name => {
            const i = names.indexOf(name);
            answeredBefore.push(i < 3 || received.includes(names[i - 3]));
            return patch(name);
        }, 3);
        assert.deepStrictEqual(answeredBefore, names.map(() => true));
        assert.deepStrictEqual(received, names);
        assert.deepStrictEqual(await Promise.all(bound.map(r => new Promise(resolve => r.urn.apply(resolve)))),
            names.map(n => `urn:pulumi:test::istio-mesh::kubernetes:core/v1:NamespacePatch::${n}`));
    });

    it("with no limit every patch is started before the engine has answered any (what the limit prevents)", async () => {
        const received = await engine();
        const seen: number[] = [];
        await bindPaced(names, name => {
            seen.push(received.length);
            return patch(name);
        }, Infinity);
        assert.deepStrictEqual(seen, names.map(() => 0));
    });

    it("a refused registration does not stop the others, and the wait ends", async () => {
        const received = await engine("ns-4");
        const bound = await bindPaced(names, patch, 2);
        assert.strictEqual(bound.length, names.length);
        assert.deepStrictEqual(received, names);
    });
});
