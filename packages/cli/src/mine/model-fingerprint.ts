/**
 * A model's fingerprint for mined-patches files: SHA-256 over model.json and its weight shards,
 * so shards and resumed runs are checked to use the very same model (not just the same name).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { parseModelJson } from '@bagnet-vis/core';

import { CliError } from '../errors.js';

/** `sha256:<hex>` of the model at `path` (model.json or its folder). */
export async function modelFingerprint(path: string): Promise<string> {
  const file = path.endsWith('.json') ? path : join(path, 'model.json');
  const hash = createHash('sha256');
  try {
    const text = await readFile(file, 'utf8');
    hash.update(text);
    const json = parseModelJson(text, file);
    for (const group of json.weightsManifest)
      for (const p of group.paths) hash.update(await readFile(join(dirname(file), p)));
  } catch (e) {
    throw new CliError(`Cannot read model '${file}': ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return `sha256:${hash.digest('hex')}`;
}
