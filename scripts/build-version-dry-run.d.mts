/** Types of build-version-dry-run.mjs (a plain .mjs so that it runs without a build step). */
export interface VersionChange {
  readonly name: string;
  readonly from: string;
  readonly to: string;
}
export declare function versionDryRun(): {
  changes: VersionChange[];
  changelogs: Record<string, string>;
  versionModules: Record<string, string>;
  manifests: Record<string, { version: string; dependencies?: Record<string, string> }>;
  output: string;
};
