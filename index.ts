import { dropSdkDebugMessages, keepStackTracesShort, run, stackOutputs } from "./program";

keepStackTracesShort();
dropSdkDebugMessages();

export = async () => stackOutputs(await run());
