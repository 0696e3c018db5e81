/** Types of build-bundles.mjs (a plain .mjs so that it runs without a build step). */
export declare const ROOT: string;
export declare function packageDirs(): string[];
export declare function buildPackages(options?: { force?: boolean }): { log: string; rollup: boolean };
