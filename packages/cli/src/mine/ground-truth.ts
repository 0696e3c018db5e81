/**
 * `bagnet mine --truth <folders | labels.csv | labels.json>`: each image's true class, for clean and
 * certified accuracy. Either the image's class folder (`val/<class>/x.png`, torchvision's
 * ImageFolder layout) or a labels file that pairs image paths (relative to the file's folder) with
 * classes. A class is named by the model's label or its index; folder names may also spell a label
 * with any punctuation (`T-shirt_top` for `T-shirt/top`, since a folder name cannot hold `/`).
 *
 * Everything is checked before the model runs, and a mismatch lists what to fix: unknown class
 * names, images without a class, labels-file entries that name no listed image.
 *
 * Budget: a labels file is read whole and must be at most {@link MAX_TRUTH_FILE_BYTES}; parsing is
 * linear in its size (50,000 entries are ~2 MB and take milliseconds).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

import { CliError, UsageError } from '../errors.js';
import { readInput } from '../files.js';
import type { ListedImage } from './image-list.js';

/** Largest labels file read (bytes). */
export const MAX_TRUTH_FILE_BYTES = 64 * 1024 * 1024;

/** Where `--truth` takes the true classes from. */
export type TruthSource = { readonly kind: 'folders' } | { readonly kind: 'file'; readonly path: string };

/** The true class of every listed image. */
export interface GroundTruth {
  /** Class index per image, in list order. */
  readonly classes: readonly number[];
  /** For the run record: the source and a SHA-256 of the classes, so a resumed run checks them. */
  readonly description: string;
}

/** `--truth <value>`: 'folders', or a .csv / .json labels file. */
export function parseTruthFlag(value: string): TruthSource {
  if (value === 'folders') return { kind: 'folders' };
  if (/\.(csv|json)$/i.test(value)) return { kind: 'file', path: value };
  throw new UsageError(`--truth expects 'folders' or a labels file ending in .csv or .json, got '${value}'`);
}

const quoteList = (xs: readonly string[], max = 8) =>
  xs
    .slice(0, max)
    .map((x) => `'${x}'`)
    .join(', ') + (xs.length > max ? `, … (${xs.length} in all)` : '');

const squash = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');

/**
 * The class a folder or file names: the exact label, an index, or (for folders) the label with
 * punctuation and case ignored when exactly one label matches that way. Undefined when none does.
 */
export function classOfName(name: string, labels: readonly string[], loose: boolean): number | undefined {
  const exact = labels.indexOf(name);
  if (exact >= 0) return exact;
  if (/^\d+$/.test(name) && Number(name) < labels.length) return Number(name);
  if (!loose) return undefined;
  const want = squash(name);
  const matches = labels.flatMap((l, i) => (want !== '' && squash(l) === want ? [i] : []));
  return matches.length === 1 ? matches[0] : undefined;
}

function labelsHint(labels: readonly string[]): string {
  return `the model's labels are ${quoteList(labels, 12)} (or their indices 0–${labels.length - 1})`;
}

function fromFolders(images: readonly ListedImage[], labels: readonly string[]): number[] {
  const loose = images.filter((i) => i.classFolder === undefined).map((i) => basename(i.path));
  if (loose.length > 0) {
    throw new CliError(
      `--truth folders: ${loose.length} image${loose.length > 1 ? 's are' : ' is'} not in a class folder (${quoteList(loose, 3)}): ` +
        'put each image in a subfolder named for its class (val/<class>/image.png).',
    );
  }
  const byFolder = new Map<string, number | undefined>();
  for (const { classFolder } of images) {
    if (!byFolder.has(classFolder!)) byFolder.set(classFolder!, classOfName(classFolder!, labels, true));
  }
  const unknown = [...byFolder].filter(([, c]) => c === undefined).map(([name]) => name);
  if (unknown.length > 0) {
    throw new CliError(
      `--truth folders: class folder${unknown.length > 1 ? 's' : ''} ${quoteList(unknown)} name${unknown.length > 1 ? '' : 's'} no class of the model; ` +
        `${labelsHint(labels)}. Rename the folder${unknown.length > 1 ? 's' : ''} or give --truth a labels file.`,
    );
  }
  return images.map((i) => byFolder.get(i.classFolder!)!);
}

/** Fields of one CSV line (double quotes around a field allow commas; "" is a quote). */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

interface Entry {
  readonly file: string;
  readonly label: string;
  /** `line 3` or `entry 3`. */
  readonly where: string;
}

function csvEntries(text: string, name: string): Entry[] {
  const entries: Entry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const fields = csvFields(line);
    if (i === 0 && fields[0]?.toLowerCase() === 'file' && fields[1]?.toLowerCase() === 'label') return;
    if (fields.length !== 2 || fields[0] === '' || fields[1] === '') {
      throw new CliError(`${name} line ${i + 1}: expected 'file,label', got '${line.slice(0, 80)}'.`);
    }
    entries.push({ file: fields[0]!, label: fields[1]!, where: `line ${i + 1}` });
  });
  return entries;
}

function jsonEntries(text: string, name: string): Entry[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${name} is not valid JSON (${e instanceof Error ? e.message : String(e)}).`);
  }
  const label = (v: unknown, where: string) => {
    if (typeof v === 'string' && v !== '') return v;
    if (Number.isSafeInteger(v) && (v as number) >= 0) return String(v);
    throw new CliError(`${name} ${where}: the label must be a class name or index, got ${JSON.stringify(v)}.`);
  };
  if (Array.isArray(json)) {
    return json.map((e: unknown, i) => {
      const where = `entry ${i + 1}`;
      const o = e as Record<string, unknown> | null;
      if (typeof o !== 'object' || o === null || typeof o['file'] !== 'string') {
        throw new CliError(`${name} ${where}: expected {"file": "…", "label": …}.`);
      }
      return { file: o['file'], label: label(o['label'], where), where };
    });
  }
  if (typeof json === 'object' && json !== null) {
    return Object.entries(json).map(([file, v], i) => ({
      file,
      label: label(v, `"${file}"`),
      where: `entry ${i + 1}`,
    }));
  }
  throw new CliError(`${name} must be a JSON object {"image.png": "label", …} or a list of {"file", "label"}.`);
}

async function fromFile(path: string, images: readonly ListedImage[], labels: readonly string[]): Promise<number[]> {
  const name = basename(path);
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new CliError(`Cannot read --truth '${path}': no such file.`);
  }
  if (size > MAX_TRUTH_FILE_BYTES) {
    throw new CliError(
      `--truth '${path}' is ${(size / 2 ** 20).toFixed(0)} MiB, more than the ${MAX_TRUTH_FILE_BYTES / 2 ** 20} MiB a labels file may be.`,
    );
  }
  const text = new TextDecoder().decode(await readInput(path, '--truth'));
  const entries = path.toLowerCase().endsWith('.json') ? jsonEntries(text, name) : csvEntries(text, name);
  const base = dirname(resolve(path));
  const index = new Map(images.map((img, i) => [img.path, i]));
  const classes = new Array<number | undefined>(images.length).fill(undefined);
  const unknownLabels = new Set<string>();
  for (const e of entries) {
    const i = index.get(resolve(base, e.file));
    if (i === undefined) {
      throw new CliError(
        `${name} ${e.where} names '${e.file}', which is not one of the ${images.length} images given ` +
          `(paths are relative to the labels file's folder '${base}'). Remove the entry or add the image.`,
      );
    }
    if (classes[i] !== undefined) throw new CliError(`${name} ${e.where} gives '${e.file}' a label again.`);
    const c = classOfName(e.label, labels, false);
    if (c === undefined) unknownLabels.add(e.label);
    else classes[i] = c;
  }
  if (unknownLabels.size > 0) {
    throw new CliError(
      `${name} uses label${unknownLabels.size > 1 ? 's' : ''} ${quoteList([...unknownLabels])} that the model does not have; ${labelsHint(labels)}.`,
    );
  }
  const missing = images.flatMap((img, i) => (classes[i] === undefined ? [img.path] : []));
  if (missing.length > 0) {
    throw new CliError(
      `${name} gives no label for ${missing.length} of the images: ${quoteList(missing, 3)}. Add a line for each image.`,
    );
  }
  return classes as number[];
}

/** The true class of each of `images` from `source`, checked against the model's `labels`. */
export async function groundTruth(
  source: TruthSource,
  images: readonly ListedImage[],
  labels: readonly string[],
): Promise<GroundTruth> {
  const classes = source.kind === 'folders' ? fromFolders(images, labels) : await fromFile(source.path, images, labels);
  const hash = createHash('sha256').update(classes.join(',')).digest('hex');
  const from = source.kind === 'folders' ? 'class folders' : `labels file ${basename(source.path)}`;
  return { classes, description: `${from}; sha256:${hash}` };
}
