import { keepStackTracesShort, run, stackOutputs } from "./program";

keepStackTracesShort();

export = async () => stackOutputs(await run());
