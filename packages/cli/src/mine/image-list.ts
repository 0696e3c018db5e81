/**
 * The images `bagnet mine` reads: folders (searched recursively, files sorted by path), list files
 * (`.txt`: one path per line, relative to the list's folder; blank lines and `#` comments skipped)
 * and image files, in the order given. Only paths are held — a list of 50,000 images is a few MB.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

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

/** Absolute paths of the images named by `inputs`, in order. */
export async function listImages(inputs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const input of inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new CliError(`Cannot read '${input}': no such file or folder.`);
    }
    if (info.isDirectory()) {
      const found = await walk(resolve(input));
      if (found.length === 0) throw new CliError(`Folder '${input}' holds no ${IMAGE_EXTENSIONS.join('/')} images.`);
      out.push(...found);
    } else if (input.toLowerCase().endsWith('.txt')) {
      const base = dirname(resolve(input));
      const lines = (await readFile(input, 'utf8')).split(/\r?\n/).map((l) => l.trim());
      out.push(...lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => resolve(base, l)));
    } else {
      out.push(resolve(input));
    }
  }
  return out;
}
