/**
 * Reading inputs and writing outputs: an output file either appears complete or not at all
 * (written to a temporary file in the same folder, then renamed over the target).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { CliError, describeFsError } from './errors.js';

/** Reads a whole input file; `what` names it in the error (`checkpoint`, `image`, ...). */
export async function readInput(path: string, what: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new CliError(`Cannot read ${what} '${path}': it is a directory.`);
    const b = await readFile(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`Cannot read ${what} '${path}': ${describeFsError(e)}.`, { cause: e });
  }
}

/** Writes `data` to `path` atomically (temporary file + rename in the target folder). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw new CliError(`Cannot write '${path}': ${describeFsError(e)}.`, { cause: e });
  }
}

/** Throws unless `path`'s folder exists and `path` is not a folder (checked before long work). */
export async function checkWritable(path: string, flag: string): Promise<void> {
  const dir = dirname(resolve(path));
  try {
    if (!(await stat(dir)).isDirectory()) throw new CliError(`${flag} '${path}': '${dir}' is not a directory.`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${flag} '${path}': folder '${dir}' ${describeFsError(e)}.`, { cause: e });
  }
  try {
    if ((await stat(path)).isDirectory()) throw new CliError(`${flag} '${path}' is a directory; give a file name.`);
  } catch (e) {
    if (e instanceof CliError) throw e;
    // does not exist yet: fine
  }
}

/** The output folder must be absent or empty (or --force), and not a file. */
export async function checkOutputFolder(out: string, force: boolean): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(out)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`Cannot use --out '${out}': ${describeFsError(e)}.`, { cause: e });
  }
  if (!isDir) throw new CliError(`--out '${out}' is a file; give a folder.`);
  if (!force && (await readdir(out)).length > 0) {
    throw new CliError(`--out '${out}' exists and is not empty; choose another folder or pass --force to overwrite.`);
  }
}
