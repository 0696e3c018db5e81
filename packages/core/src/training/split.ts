/**
 * The held-out split and the batch order of training, both seeded so a run can be repeated.
 */
import { randomPermutation } from '../analyses/random.js';

/** Example positions for training and for validation, each in increasing order. */
export interface HeldOutSplit {
  readonly training: Int32Array;
  readonly validation: Int32Array;
}

/**
 * Holds out `fraction` of each class (rounded; a class keeps at least one training example),
 * chosen at random with `random`. Stratified, so a small set keeps its class balance on both sides.
 */
export function heldOutSplit(
  labels: Int32Array,
  numClasses: number,
  fraction: number,
  random: () => number,
): HeldOutSplit {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  labels.forEach((label, i) => byClass[label]!.push(i));
  const held = new Uint8Array(labels.length);
  for (const members of byClass) {
    const count = Math.min(members.length - 1, Math.round(members.length * fraction));
    const order = randomPermutation(members.length, random);
    for (let k = 0; k < count; k++) held[members[order[k]!]!] = 1;
  }
  const training: number[] = [];
  const validation: number[] = [];
  held.forEach((h, i) => (h ? validation : training).push(i));
  return { training: Int32Array.from(training), validation: Int32Array.from(validation) };
}

/**
 * One epoch's batches: `indices` shuffled, grouped by `groupOf` (examples in one batch must share
 * it, e.g. an image size; one group for all when omitted), cut into batches of at most
 * `batchSize`, and the batches shuffled.
 */
export function epochBatches(
  indices: Int32Array,
  batchSize: number,
  random: () => number,
  groupOf: (index: number) => string = () => '',
): Int32Array[] {
  const order = randomPermutation(indices.length, random);
  const groups = new Map<string, number[]>();
  for (const k of order) {
    const i = indices[k]!;
    const key = groupOf(i);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [i]);
    else group.push(i);
  }
  const batches: Int32Array[] = [];
  for (const group of groups.values()) {
    for (let s = 0; s < group.length; s += batchSize) batches.push(Int32Array.from(group.slice(s, s + batchSize)));
  }
  const shuffled = randomPermutation(batches.length, random);
  return Array.from(shuffled, (k) => batches[k]!);
}
