import { run } from "./program";

export = run;
