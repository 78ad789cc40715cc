// First, before anything loads Pulumi's SDK (startup.ts says why).
import "./startup";
import { dropSdkDebugMessages, keepStackTracesShort, run, stackOutputs } from "./program";

keepStackTracesShort();
dropSdkDebugMessages();

export = async () => stackOutputs(await run());
