/**
 * Node-only entry point (`@bagnet-vis/core/node`): load and save models on disk.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import type { BagNet } from './bagnet.js';
import { BagNetFormatError } from './errors.js';
import { loadBagNetFrom, serializeBagNet, shardTooLong } from './io.js';
import type { LoadOptions, ModelFileReader } from './io.js';

/** Reads model files from disk, shards relative to model.json. */
export function diskReader(modelJsonPath: string): ModelFileReader {
  const path = resolve(modelJsonPath);
  const dir = dirname(path);
  return {
    where: path,
    async readJson() {
      try {
        return await readFile(path, 'utf8');
      } catch (e) {
        throw new BagNetFormatError(
          `Could not read model ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`,
          { cause: e },
        );
      }
    },
    async readShard(p, maxBytes) {
      const file = join(dir, p);
      try {
        // Only regular files of at most the size the manifest leaves: a device (/dev/zero), FIFO or
        // huge file behind a link is refused before it is read.
        const info = await stat(file);
        if (!info.isFile()) {
          throw new BagNetFormatError(`Weight shard ${file} is not a regular file; copy the .bin files themselves.`);
        }
        if (maxBytes !== undefined && info.size > maxBytes) throw shardTooLong(file, info.size, maxBytes);
        const b = await readFile(file);
        return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
      } catch (e) {
        if (e instanceof BagNetFormatError) throw e;
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw new BagNetFormatError(`Could not read weight shard ${file}: ${String(e)}.`, { cause: e });
      }
    },
  };
}

/** Loads a BagNet from a model.json path (or a directory holding model.json). */
export async function loadBagNetFromDisk(path: string, options: LoadOptions = {}): Promise<BagNet> {
  const file = path.endsWith('.json') ? path : join(path, 'model.json');
  return loadBagNetFrom(diskReader(file), options);
}

/**
 * Writes `<dir>/model.json` and its shards. Files are written to a temporary folder first and
 * moved into place, so a failure never leaves a half-written model.
 */
export async function saveBagNetToDisk(bagnet: BagNet, dir: string): Promise<{ modelJson: string; files: string[] }> {
  const { modelJson, shards } = await serializeBagNet(bagnet);
  const target = resolve(dir);
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Date.now()}`);
  await mkdir(tmp, { recursive: true });
  try {
    for (const [name, bytes] of shards) await writeFile(join(tmp, name), bytes);
    await writeFile(join(tmp, 'model.json'), JSON.stringify(modelJson));
    await mkdir(target, { recursive: true });
    const files = [...shards.keys(), 'model.json'];
    for (const name of files) await rename(join(tmp, name), join(target, name));
    return { modelJson: join(target, 'model.json'), files: files.map((f) => join(target, f)) };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
