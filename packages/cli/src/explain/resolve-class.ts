/**
 * `--class`: a class given by index or by label.
 */
import { CliError } from '../errors.js';

/** A class given as an index or a label (case-insensitive; `_` and spaces are the same). */
export function resolveClass(spec: string, labels: readonly string[]): number {
  if (/^\d+$/.test(spec.trim())) {
    const i = Number(spec.trim());
    if (i >= labels.length) {
      throw new CliError(
        `--class ${i} is out of range: the model has ${labels.length} classes (0–${labels.length - 1}).`,
      );
    }
    return i;
  }
  const norm = (s: string) => s.toLowerCase().replace(/_/g, ' ').replace(/\s+/g, ' ').trim();
  const want = norm(spec);
  const exact = labels.flatMap((l, i) => (norm(l) === want ? [i] : []));
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) {
    throw new CliError(`--class '${spec}' is ambiguous: classes ${exact.join(', ')} have that label; give the index.`);
  }
  const near = labels.flatMap((l, i) => (norm(l).includes(want) ? [`${i} '${l}'`] : [])).slice(0, 5);
  throw new CliError(
    `--class '${spec}' is not a label of this model${near.length > 0 ? `; did you mean ${near.join(', ')}?` : ' (see bagnet info for its labels).'}`,
  );
}
