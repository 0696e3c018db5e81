/** The text of src/version.ts for the package `name` at `version`. */
export function versionModule(name: string, version: string): string;
/** Writes `dir`/src/version.ts from `dir`/package.json; returns the version. */
export function writeVersionModule(dir: string): string;
