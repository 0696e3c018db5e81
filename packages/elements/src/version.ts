// Generated from package.json by scripts/package-version.mjs; do not edit.

/** The version of @bagnet-vis/elements, as its package.json says. */
export const VERSION = '0.1.0';
