/**
 * A training folder: one subfolder per class (the folder's name is the class name) holding PNG or
 * JPEG images. Scanned and checked up front, before any image is decoded or model loaded, so a
 * wrong layout fails at once with a message that says what to change.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

import { CliError, describeFsError } from '../errors.js';

/** Image files by extension (the decoder checks the signature, so a mislabelled file still fails clearly). */
const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** One class: its name and its image files (paths, sorted). */
export interface ClassFolder {
  readonly name: string;
  readonly files: readonly string[];
}

/** The classes of a training folder and what was skipped. */
export interface TrainingFolder {
  /** Classes sorted by name. */
  readonly classes: readonly ClassFolder[];
  /** Files or folders inside class folders that are not PNG/JPEG images (relative paths). */
  readonly skipped: readonly string[];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function entries(path: string, what: string) {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'ENOTDIR'
        ? `${what} '${path}' is a file; give a folder with one subfolder of images per class.`
        : `Cannot read ${what} '${path}': ${describeFsError(e)}.`,
      { cause: e },
    );
  }
}

/**
 * Lists the class folders of `root` and their images. Hidden entries (`.name`) are ignored.
 *
 * @throws {CliError} when `root` cannot be read, holds images directly, has fewer than two class
 *   folders, or a class folder has no images.
 */
export async function scanTrainingFolder(root: string): Promise<TrainingFolder> {
  const top = (await entries(root, 'training folder')).filter((e) => !e.name.startsWith('.'));
  const loose = top.filter((e) => !e.isDirectory() && IMAGE_FILE.test(e.name)).map((e) => e.name);
  if (loose.length > 0) {
    throw new CliError(
      `Training folder '${root}' holds images directly (${loose.slice(0, 3).join(', ')}${loose.length > 3 ? ', …' : ''}): ` +
        'put each class in its own subfolder, named for the class (e.g. cats/, dogs/).',
    );
  }
  const folders = top
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort(byName);
  if (folders.length < 2) {
    throw new CliError(
      `Training folder '${root}' has ${folders.length === 0 ? 'no class folders' : `only one class folder ('${folders[0]!}')`}: ` +
        'a classifier needs at least two classes, each a subfolder of PNG or JPEG images named for its class.',
    );
  }
  const classes: ClassFolder[] = [];
  const skipped: string[] = [];
  for (const name of folders) {
    const files: string[] = [];
    for (const e of (await entries(join(root, name), 'class folder')).sort((a, b) => byName(a.name, b.name))) {
      if (e.name.startsWith('.')) continue;
      if (e.isFile() && IMAGE_FILE.test(e.name)) files.push(join(root, name, e.name));
      else skipped.push(join(name, e.name));
    }
    if (files.length === 0) {
      throw new CliError(
        `Class folder '${join(root, name)}' has no PNG or JPEG images: add some, or remove the folder.`,
      );
    }
    classes.push({ name, files });
  }
  return { classes, skipped };
}

/**
 * Orders the classes as `labels` (from a --labels file) lists them.
 *
 * @throws {CliError} unless the labels name exactly the class folders.
 */
export function orderClasses(folder: TrainingFolder, labels: readonly string[], where: string): ClassFolder[] {
  const byLabel = new Map(folder.classes.map((c) => [c.name, c]));
  const missing = labels.filter((l) => !byLabel.has(l));
  const extra = folder.classes.map((c) => c.name).filter((n) => !labels.includes(n));
  const duplicate = labels.filter((l, i) => labels.indexOf(l) !== i);
  if (missing.length > 0 || extra.length > 0 || duplicate.length > 0) {
    const list = (xs: string[]) => xs.map((x) => `'${x}'`).join(', ');
    throw new CliError(
      `${where} does not match the class folders: ` +
        [
          missing.length > 0 ? `no folder for ${list(missing)}` : '',
          extra.length > 0 ? `folder${extra.length > 1 ? 's' : ''} ${list(extra)} not in the labels` : '',
          duplicate.length > 0 ? `${list(duplicate)} listed twice` : '',
        ]
          .filter(Boolean)
          .join('; ') +
        '. List each class folder name once.',
    );
  }
  return labels.map((l) => byLabel.get(l)!);
}
