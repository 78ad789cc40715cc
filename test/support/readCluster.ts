/**
 * A program that reads the cluster as the Pulumi program does (observeAsync through `kubectl proxy`), for the tests of
 * what is left when something ends it mid-read. `throw` as argument: an uncaught exception once the proxy serves.
 * Kubectl's environment (the stub's, with a read that never answers) comes from this process's.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Kubectl, observeAsync } from "../../components/kubectl";

observeAsync(new Kubectl(process.env), ["shop", "cart"]).then(() => process.stdout.write("read\n"));
if (process.argv[2] === "throw") {
    const serving = () => fs.readdirSync(os.tmpdir()).some(d => d.startsWith("istio-mesh-kubectl-") && fs.existsSync(path.join(os.tmpdir(), d, "api.sock")));
    const timer = setInterval(() => {
        if (serving()) {
            clearInterval(timer);
            throw new Error("an exception nobody catches");
        }
    }, 50);
}
