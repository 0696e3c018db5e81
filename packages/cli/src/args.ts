/**
 * Command-line parsing on top of `node:util` parseArgs (strict: unknown flags are usage errors),
 * and the value parsers the commands share.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

import { UsageError } from './errors.js';

/**
 * Runs `parseArgs` (strict unless `config.strict` is false) and turns its errors into
 * {@link UsageError}s.
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      // parseArgs messages are long; their first sentence says what is wrong.
      const message = e instanceof Error ? e.message : String(e);
      throw new UsageError(message.split(/\.\s/)[0]!.replace(/\.$/, ''));
    }
    throw e;
  }
}

/** Exactly `names.length` positionals, in that order. */
export function positionals(values: readonly string[], names: readonly string[]): string[] {
  if (values.length < names.length) {
    throw new UsageError(
      `Missing ${names
        .slice(values.length)
        .map((n) => `<${n}>`)
        .join(' ')}`,
    );
  }
  if (values.length > names.length) {
    throw new UsageError(`Unexpected argument '${values[names.length]!}'`);
  }
  return [...values];
}

/** An integer flag value within [min, max]. */
export function integer(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${flag} expects an integer${max < Number.MAX_SAFE_INTEGER ? ` from ${min} to ${max}` : ` ≥ ${min}`}, got '${value}'`,
    );
  }
  return n;
}

/** A comma-separated list of `count` finite numbers (`0.5,0.5,0.5`). */
export function numberList(value: string, flag: string, count: number, example: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const nums = parts.map(Number);
  if (parts.length !== count || parts.some((p) => p === '') || !nums.every(Number.isFinite)) {
    throw new UsageError(`${flag} expects ${count} comma-separated numbers (e.g. ${example}), got '${value}'`);
  }
  return nums;
}
