/**
 * The images `bagnet mine` reads: folders (searched recursively, files sorted by path), list files
 * (`.txt`: one path per line, relative to the list's folder; blank lines and `#` comments skipped)
 * and image files, in the order given. Only paths are held — a list of 50,000 images is a few MB.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';

import { CliError } from '../errors.js';

/** File name endings taken from folders. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;

const isImage = (name: string) => IMAGE_EXTENSIONS.some((e) => name.toLowerCase().endsWith(e));

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else if (e.isFile() && isImage(e.name)) out.push(p);
  }
  return out;
}

/** One listed image and the name of its class folder, if it has one. */
export interface ListedImage {
  /** Absolute path. */
  readonly path: string;
  /**
   * Found in a folder input: the first folder below the input (`val/<class>/…/x.png`, as
   * torchvision's ImageFolder reads it), undefined for an image directly in the input folder.
   * From a list file or named directly: the image's parent folder.
   */
  readonly classFolder: string | undefined;
}

/** Absolute paths of the images named by `inputs`, in order. */
export async function listImages(inputs: readonly string[]): Promise<string[]> {
  return (await listImageEntries(inputs)).map((e) => e.path);
}

/** The images named by `inputs`, in order, each with its class folder. */
export async function listImageEntries(inputs: readonly string[]): Promise<ListedImage[]> {
  const out: ListedImage[] = [];
  const named = (path: string): ListedImage => ({ path, classFolder: basename(dirname(path)) });
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new CliError(`Cannot read '${input}': no such file or folder.`);
    }
    if (info.isDirectory()) {
      const root = resolve(input);
      const found = await walk(root);
      if (found.length === 0) throw new CliError(`Folder '${input}' holds no ${IMAGE_EXTENSIONS.join('/')} images.`);
      for (const path of found) {
        const parts = relative(root, path).split(sep);
        out.push({ path, classFolder: parts.length > 1 ? parts[0] : undefined });
      }
    } else if (input.toLowerCase().endsWith('.txt')) {
      const base = dirname(resolve(input));
      const lines = (await readFile(input, 'utf8')).split(/\r?\n/).map((l) => l.trim());
      out.push(...lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => named(resolve(base, l))));
    } else {
      out.push(named(resolve(input)));
    }
  }
  return out;
}
