/**
 * Mocha root hooks of the unit tests. Each test starts with no remembered CRD render (components/crdFiles.ts), as a
 * fresh checkout does; the runs within one test remember them, as a user's consecutive runs do.
 */
import * as fs from "fs";
import * as path from "path";

export const CRD_RENDERS = path.join(__dirname, "..", "..", ".istio-mesh", "crds", "renders");

export const mochaHooks = {
    beforeEach(): void {
        fs.rmSync(CRD_RENDERS, { recursive: true, force: true });
    },
};
