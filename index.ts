import { keepStackTracesShort, run } from "./program";

keepStackTracesShort();

export = run;
