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
    const args = config.args && attachNegativeNumbers(config.args, config.options ?? {});
    return parseArgs({ ...config, args }) as ReturnType<typeof parseArgs<T>>;
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

/**
 * `--top -3` → `--top=-3` for string options, so a negative number reaches the option's own value
 * check (which says what it expected) instead of being read as an unknown flag: parseArgs calls
 * `--top -3` "ambiguous". Arguments after `--` are left alone.
 */
function attachNegativeNumbers(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [...out, ...args.slice(i)];
    const next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    const option =
      name !== undefined
        ? options[name]
        : Object.values(options).find((o) => o.short !== undefined && a === `-${o.short}`);
    if (option?.type === 'string' && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      out.push(`${a}=${next}`.replace(/^-(\w)=/, (_, s: string) => `--${longName(options, s)}=`));
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

function longName(options: NonNullable<ParseArgsConfig['options']>, short: string): string {
  return Object.entries(options).find(([, o]) => o.short === short)?.[0] ?? short;
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
