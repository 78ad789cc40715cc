/**
 * Mocha root hooks of the unit tests. Each test starts with no remembered CRD render (components/crdFiles.ts), as a
 * fresh checkout does; the runs within one test remember them, as a user's consecutive runs do.
 */
import * as fs from "fs";
import * as path from "path";
import { CRD_RENDERS } from "../../components/crdFiles";

export const mochaHooks = {
    beforeEach(): void {
        fs.rmSync(path.join(__dirname, "..", "..", CRD_RENDERS), { recursive: true, force: true });
    },
};
