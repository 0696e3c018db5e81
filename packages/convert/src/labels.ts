/**
 * Class-label files: what `bagnet convert --labels` and a page's label upload accept.
 */
import { ConvertOptionsError } from './errors.js';

/**
 * Parses a label file. Accepted forms, detected from the content:
 * - a JSON array of strings, one per class (`["tench", "goldfish", ...]`);
 * - a JSON object keyed by class index whose values are strings or `[id, name]` pairs — the
 *   Keras `imagenet_class_index.json` form (`{"0": ["n01440764", "tench"], ...}`), where `_`
 *   in names becomes a space; indices must be 0…n−1;
 * - plain text, one label per line (surrounding whitespace and trailing empty lines dropped).
 *
 * `where` names the file in error messages.
 *
 * @throws {ConvertOptionsError} when the content is none of these or has an empty label.
 */
export function parseLabels(text: string, where = 'the label file'): string[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed.length === 0) throw new ConvertOptionsError(`${where} is empty: expected one label per class.`);
  let labels: string[];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (e) {
      throw new ConvertOptionsError(
        `${where} starts like JSON but does not parse (${e instanceof Error ? e.message : String(e)}); ` +
          'use a JSON array of strings or one label per line.',
        { cause: e },
      );
    }
    labels = Array.isArray(json) ? fromArray(json, where) : fromIndexObject(json as Record<string, unknown>, where);
  } else {
    labels = trimmed.split(/\r?\n/).map((l) => l.trim());
  }
  const empty = labels.findIndex((l) => l.length === 0);
  if (empty >= 0) throw new ConvertOptionsError(`${where}: the label of class ${empty} is empty.`);
  return labels;
}

function fromArray(json: unknown[], where: string): string[] {
  return json.map((v, i) => {
    if (typeof v !== 'string') {
      throw new ConvertOptionsError(`${where}: entry ${i} is ${JSON.stringify(v)}, expected a string label.`);
    }
    return v.trim();
  });
}

function fromIndexObject(json: Record<string, unknown>, where: string): string[] {
  const keys = Object.keys(json);
  const labels = new Array<string>(keys.length);
  for (const key of keys) {
    const index = Number(key);
    if (!/^(0|[1-9]\d*)$/.test(key) || index >= keys.length) {
      throw new ConvertOptionsError(
        `${where}: key ${JSON.stringify(key)} is not a class index 0…${keys.length - 1}; ` +
          'expected {"0": "label", ...} or Keras\' {"0": ["n01440764", "tench"], ...}.',
      );
    }
    const v = json[key];
    let label: string;
    if (typeof v === 'string') label = v;
    else if (Array.isArray(v) && v.length === 2 && typeof v[1] === 'string') label = v[1].replace(/_/g, ' ');
    else {
      throw new ConvertOptionsError(
        `${where}: class ${key} is ${JSON.stringify(v)}, expected a string or an [id, name] pair.`,
      );
    }
    labels[index] = label.trim();
  }
  return labels;
}
