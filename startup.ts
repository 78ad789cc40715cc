/**
 * What runs before anything loads Pulumi's SDK: index.ts imports this module first, and it imports nothing of the SDK.
 *
 * @pulumi/pulumi's index loads the Automation API, whose function serialization imports TypeScript (9 MB of
 * JavaScript) and npm's Arborist as the SDK loads: 0.23 s of every run's start, before the program can do anything
 * (see the README's Performance section), for code this program never calls (it serializes no function). Each of
 * them is loaded on its first use instead: the module the SDK requires is a stand-in that loads the real one when
 * it is touched. A module already loaded (ts-node's TypeScript, when main.js runs the sources) is left as it is.
 */
import Module = require("module");
import * as path from "path";

/** Each module deferred, and the SDK file that requires it (resolved from there, as the SDK resolves it). */
const DEFERRED_SDK_IMPORTS: readonly { module: string; requiredBy: string }[] = [
    { module: "typescript", requiredBy: "@pulumi/pulumi/typescript-shim.js" },
    { module: "@npmcli/arborist", requiredBy: "@pulumi/pulumi/runtime/closure/codePaths.js" },
];

/** Installs the stand-ins (a module not installed where the SDK looks for it is skipped). */
function deferUnusedSdkImports(): void {
    for (const { module, requiredBy } of DEFERRED_SDK_IMPORTS) {
        let file: string;
        try {
            file = require.resolve(module, { paths: [path.dirname(require.resolve(requiredBy))] });
        } catch {
            continue;
        }
        if (require.cache[file]) {
            continue;
        }
        let real: any;
        const load = () => {
            if (real === undefined) {
                delete require.cache[file];
                real = require(file);
            }
            return real;
        };
        const standIn = new Module(file);
        standIn.filename = file;
        standIn.loaded = true;
        standIn.exports = new Proxy({}, {
            // The SDK imports Arborist through TypeScript's __importStar, which reads __esModule first and then
            // returns the module as it is: answered without loading, so the import stays deferred.
            get: (_, key) => (key === "__esModule" ? true : load()[key]),
            has: (_, key) => key in load(),
            ownKeys: () => Reflect.ownKeys(load()),
            getOwnPropertyDescriptor: (_, key) => {
                const d = Object.getOwnPropertyDescriptor(load(), key);
                return d && { ...d, configurable: true };
            },
        });
        require.cache[file] = standIn;
    }
}

deferUnusedSdkImports();
