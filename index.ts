import { run, stackOutputs } from "./program";

export = async () => stackOutputs(await run());
