/**
 * Seeded mutations for the fuzzer: bit flips, interesting bytes, truncations (anywhere and at
 * section boundaries), length-field corruption, splices and duplications on bytes, and structural
 * edits on JSON. Every case is a pure function of (seed, case index), so a failure is reproduced
 * with `--seed s --case i`.
 */
import type { LengthField } from './structure.js';

/** A small, fast, seeded PRNG (sfc32) with helpers. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number, stream = 0) {
    this.#a = 0x9e3779b9 ^ seed;
    this.#b = 0x243f6a88 ^ stream;
    this.#c = 0xb7e15162 ^ Math.imul(seed, 31);
    this.#d = 1;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.next() / 2 ** 32) * n);
  }

  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** Values that tend to break length and index handling: 0, ±1, powers of two, 2 GB, all ones. */
export function interestingValue(rng: Rng, size: 1 | 2 | 4 | 8, original: number): number {
  const max = size === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (8 * size) - 1;
  const candidates = [
    0,
    1,
    max,
    max - 1,
    Math.floor(max / 2),
    Math.floor(max / 2) + 1,
    original + 1,
    Math.max(0, original - 1),
    original * 2,
    original * 256,
    rng.next(),
  ];
  if (size >= 4) candidates.push(2 ** 31, 2 ** 31 - 1, 2 ** 32 - 1, 2 ** 31 + 8);
  if (size === 8) candidates.push(2 ** 53, 2 ** 40, 2 ** 63);
  return Math.min(2 ** (8 * size) - 1, Math.max(0, candidates[rng.int(candidates.length)]!));
}

function readUint(bytes: Uint8Array, offset: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (bytes[offset + i] ?? 0);
  return v;
}

function writeUint(bytes: Uint8Array, offset: number, size: number, value: number): void {
  let v = value;
  for (let i = 0; i < size && offset + i < bytes.length; i++) {
    bytes[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** What a seed offers the byte mutators. */
export interface ByteSeed {
  readonly bytes: Uint8Array;
  readonly boundaries: readonly number[];
  readonly fields: readonly LengthField[];
}

/** The byte mutations, by name. */
export const BYTE_MUTATIONS = [
  'bitflip',
  'byte',
  'truncate',
  'truncate-at-boundary',
  'length-field',
  'splice',
  'duplicate',
  'delete',
] as const;
export type ByteMutation = (typeof BYTE_MUTATIONS)[number];

/** Applies 1–3 mutations to a copy of `seed`; returns the bytes and the mutation names. */
export function mutateBytes(rng: Rng, seed: ByteSeed): { bytes: Uint8Array; mutations: string[] } {
  let bytes = seed.bytes.slice();
  const mutations: string[] = [];
  const count = 1 + (rng.chance(0.35) ? 1 + rng.int(2) : 0);
  for (let m = 0; m < count && bytes.length > 0; m++) {
    // Length fields and boundaries refer to the seed's layout: use them first, while it holds.
    const pristine = m === 0;
    let kind: ByteMutation = rng.pick(BYTE_MUTATIONS);
    if (!pristine && (kind === 'length-field' || kind === 'truncate-at-boundary')) kind = 'bitflip';
    if (kind === 'length-field' && seed.fields.length === 0) kind = 'byte';
    if (kind === 'truncate-at-boundary' && seed.boundaries.length === 0) kind = 'truncate';
    switch (kind) {
      case 'bitflip': {
        const flips = 1 + rng.int(8);
        for (let i = 0; i < flips; i++) bytes[rng.int(bytes.length)]! ^= 1 << rng.int(8);
        mutations.push(`bitflip×${flips}`);
        break;
      }
      case 'byte': {
        const n = 1 + rng.int(4);
        for (let i = 0; i < n; i++) bytes[rng.int(bytes.length)] = rng.pick([0x00, 0xff, 0x7f, 0x80, 0x01, 0x2e, 0x28]);
        mutations.push(`byte×${n}`);
        break;
      }
      case 'truncate': {
        const at = rng.int(bytes.length);
        bytes = bytes.slice(0, at);
        mutations.push(`truncate@${at}`);
        break;
      }
      case 'truncate-at-boundary': {
        const at = rng.pick(seed.boundaries);
        bytes = bytes.slice(0, at);
        mutations.push(`truncate-at-boundary@${at}`);
        break;
      }
      case 'length-field': {
        const field = rng.pick(seed.fields);
        const value = interestingValue(rng, field.size, readUint(bytes, field.offset, field.size));
        writeUint(bytes, field.offset, field.size, value);
        mutations.push(`length-field ${field.kind}@${field.offset}=${value}`);
        break;
      }
      case 'splice': {
        const at = rng.int(bytes.length + 1);
        const n = 1 + rng.int(64);
        const junk = new Uint8Array(n);
        for (let i = 0; i < n; i++) junk[i] = rng.int(256);
        const out = new Uint8Array(bytes.length + n);
        out.set(bytes.subarray(0, at));
        out.set(junk, at);
        out.set(bytes.subarray(at), at + n);
        bytes = out;
        mutations.push(`splice ${n}@${at}`);
        break;
      }
      case 'duplicate': {
        const from = rng.int(bytes.length);
        const n = Math.min(bytes.length - from, 1 + rng.int(512));
        const at = rng.int(bytes.length + 1);
        const out = new Uint8Array(bytes.length + n);
        out.set(bytes.subarray(0, at));
        out.set(bytes.subarray(from, from + n), at);
        out.set(bytes.subarray(at), at + n);
        bytes = out;
        mutations.push(`duplicate ${n}@${from}→${at}`);
        break;
      }
      case 'delete': {
        const at = rng.int(bytes.length);
        const n = Math.min(bytes.length - at, 1 + rng.int(64));
        const out = new Uint8Array(bytes.length - n);
        out.set(bytes.subarray(0, at));
        out.set(bytes.subarray(at + n), at);
        bytes = out;
        mutations.push(`delete ${n}@${at}`);
        break;
      }
    }
  }
  return { bytes, mutations };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every path to a value in `value` (keys and indices), skipping subtrees where `skip(path)`. */
function paths(value: Json, skip: (path: readonly (string | number)[]) => boolean): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (v: Json, path: (string | number)[]) => {
    if (skip(path)) return;
    out.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(value, []);
  return out;
}

const JSON_VALUES: readonly Json[] = [
  null,
  true,
  0,
  -1,
  1,
  1.5,
  2 ** 31,
  2 ** 53,
  1e9,
  -1e308,
  1e308,
  '',
  'float32',
  'int32',
  'float16',
  'uint8',
  'complex64',
  '../group1-shard1of1.bin',
  'https://elsewhere.invalid/x.bin',
  '<img src=x onerror=alert(1)>',
  [],
  [1e9, 1e9],
  [0],
  {},
];

/**
 * A structural edit of a JSON document: delete a key or element, replace a value with an
 * "interesting" one, duplicate an array element, or swap two values of the same parent. Paths
 * under `skipPrefix` (e.g. the large model topology) are left alone most of the time.
 */
export function mutateJson(rng: Rng, text: string, focus: (path: readonly (string | number)[]) => boolean) {
  const doc = JSON.parse(text) as Json;
  const all = paths(doc, () => false).filter((p) => p.length > 0);
  const focused = all.filter(focus);
  const pool = focused.length > 0 && rng.chance(0.9) ? focused : all;
  const mutations: string[] = [];
  const count = 1 + (rng.chance(0.3) ? 1 : 0);
  for (let m = 0; m < count; m++) {
    const path = rng.pick(pool);
    // An earlier edit of this case may have removed the path: skip it then.
    let parent: Json | undefined = doc;
    for (const k of path.slice(0, -1)) {
      parent = parent !== null && typeof parent === 'object' ? (parent as Record<string, Json>)[k] : undefined;
    }
    const key = path[path.length - 1]!;
    if (parent === undefined || parent === null || typeof parent !== 'object') continue;
    const container = parent as Record<string | number, Json>;
    if (container[key] === undefined) continue;
    const op = rng.pick(['delete', 'replace', 'replace', 'duplicate', 'swap', 'scale'] as const);
    const where = path.join('.');
    if (op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else Reflect.deleteProperty(container, key);
    } else if (op === 'replace') {
      container[key] = structuredClone(rng.pick(JSON_VALUES));
    } else if (op === 'duplicate' && Array.isArray(parent)) {
      parent.splice(key as number, 0, structuredClone(parent[key as number]!));
    } else if (op === 'swap') {
      const keys = Object.keys(parent);
      const other = rng.pick(keys);
      const a = container[key]!;
      container[key] = container[other]!;
      container[other] = a;
    } else if (typeof container[key] === 'number') {
      container[key] = (container[key] as number) * rng.pick([0, -1, 2, 1000, 1e6]);
    } else {
      container[key] = structuredClone(rng.pick(JSON_VALUES));
    }
    mutations.push(`json ${op} ${where}`);
  }
  return { text: JSON.stringify(doc), mutations };
}
