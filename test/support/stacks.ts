import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { RawConfig } from "../../model/config";

/**
 * The config of an example stack file (Pulumi.<stack>.yaml), keys without the `istio-mesh:` prefix. `promotion`
 * is left out unless asked for: under mocks there is no source stack to read (test/program/promotion.spec.ts has one).
 */
export function stackConfig(stack: "staging" | "prod", { promotion = false } = {}): RawConfig {
    const file = path.join(__dirname, "..", "..", `Pulumi.${stack}.yaml`);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    const raw: RawConfig = {};
    for (const [k, v] of Object.entries(doc.config)) {
        raw[k.replace(/^istio-mesh:/, "")] = v;
    }
    if (!promotion) {
        delete raw.promotion;
    }
    return raw;
}
