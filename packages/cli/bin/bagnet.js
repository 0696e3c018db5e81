#!/usr/bin/env node
// @ts-check
/**
 * The `bagnet` executable that npm links at install time. It is committed (not built), so the
 * link exists right after `npm ci` in a fresh clone — before, or without, `npm run build`.
 *
 * - In a source checkout (this package's tsconfig.json is here; it is not published) it runs
 *   src/bin.ts through tsx, resolving the workspace packages to their TypeScript sources (the
 *   `source` export condition, as `node --conditions=source --import tsx` does for the tests).
 *   So the command always runs the code in the tree: there is no build output to go stale.
 * - In the published package it runs the compiled dist/bin.js; tsx is not needed.
 */
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const checkout = existsSync(new URL('../tsconfig.json', import.meta.url));
if (checkout) {
  register('./source-condition.js', import.meta.url);
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(new URL('../src/bin.ts', import.meta.url).href);
} else {
  await import(new URL('../dist/bin.js', import.meta.url).href);
}
