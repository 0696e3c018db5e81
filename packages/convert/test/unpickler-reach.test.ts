/**
 * What the unpickler may call. Refusing a malicious pickle is only half the claim; the other half
 * is that nothing in the reader can reach code by a name read from a file. Checked three ways:
 * the allow-list is exactly the globals a state_dict needs (and REDUCE may call only four of them);
 * the reader's modules import nothing but each other, fflate and core, and contain no dynamic code
 * construct (eval, Function, import(), require, computed lookups on globalThis); and while every
 * malicious file of the two sets is read, eval and Function are replaced by sentinels that record
 * any call.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';

import { ALLOWED_PICKLE_GLOBALS, PickleCallable, readTorchCheckpoint, unpickle } from '../src/index.js';

const SRC = new URL('../src/', import.meta.url);
const READER_MODULES = ['pickle.ts', 'torch-checkpoint.ts', 'zip.ts', 'dtype.ts', 'errors.ts'];
const STORAGES = ['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'];

describe('what the unpickler may call', () => {
  test('the allow-list is exactly what a state_dict needs', () => {
    assert.deepEqual(
      [...ALLOWED_PICKLE_GLOBALS].sort(),
      [
        'collections.OrderedDict',
        'torch._utils._rebuild_parameter',
        'torch._utils._rebuild_tensor',
        'torch._utils._rebuild_tensor_v2',
        ...STORAGES.flatMap((s) => [`torch.${s}Storage`, `torch.cuda.${s}Storage`]),
      ].sort(),
    );
  });

  test('REDUCE can call four pure data constructors, and only through an allow-listed global', () => {
    // A GLOBAL resolves to a PickleCallable only for these; storage types are not callable.
    const callables: string[] = [];
    for (const name of ALLOWED_PICKLE_GLOBALS) {
      const dot = name.lastIndexOf('.');
      const pkl = Uint8Array.from([
        0x80,
        2,
        0x63,
        ...new TextEncoder().encode(`${name.slice(0, dot)}\n${name.slice(dot + 1)}\n`),
        0x2e,
      ]);
      const value = unpickle(pkl).value;
      if (value instanceof PickleCallable) callables.push(value.qualifiedName);
    }
    assert.deepEqual(callables.sort(), [
      'collections.OrderedDict',
      'torch._utils._rebuild_parameter',
      'torch._utils._rebuild_tensor',
      'torch._utils._rebuild_tensor_v2',
    ]);
  });

  test("the reader's modules import nothing that runs code and build no code from data", () => {
    for (const file of READER_MODULES) {
      const source = readFileSync(new URL(file, SRC), 'utf8');
      const imports = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
      for (const spec of imports) {
        assert.ok(
          spec === 'fflate' || spec === '@bagnet-vis/core' || /^\.\/[a-z-]+\.js$/.test(spec!),
          `${file} imports ${spec}`,
        );
      }
      const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may say 'eval'
      for (const pattern of [/\beval\s*\(/, /\bFunction\s*\(/, /\bimport\s*\(/, /\brequire\s*\(/, /globalThis\s*\[/]) {
        assert.doesNotMatch(code, pattern, `${file}: ${pattern}`);
      }
    }
  });

  test('reading every malicious file calls neither eval nor Function', () => {
    const files = [
      ...readdirSync(new URL('./fixtures/', import.meta.url))
        .filter((f) => f.startsWith('evil_'))
        .map((f) => new URL(`./fixtures/${f}`, import.meta.url)),
      ...readdirSync(new URL('./fixtures/malicious/', import.meta.url)).map(
        (f) => new URL(`./fixtures/malicious/${f}`, import.meta.url),
      ),
    ];
    assert.ok(files.length >= 50, `${files.length} files`);
    const calls: string[] = [];
    const realEval = globalThis.eval;
    const RealFunction = globalThis.Function;
    globalThis.eval = ((x: string) => {
      calls.push(`eval(${String(x).slice(0, 40)})`);
      return undefined;
    }) as typeof eval;
    globalThis.Function = function (...args: string[]) {
      calls.push(`Function(${args.join(', ').slice(0, 40)})`);
      return () => undefined;
    } as unknown as FunctionConstructor;
    let refused = 0;
    try {
      for (const url of files) {
        const bytes = new Uint8Array(readFileSync(url));
        for (const read of [() => unpickle(bytes), () => readTorchCheckpoint(bytes)]) {
          try {
            read();
          } catch {
            refused++;
          }
        }
      }
    } finally {
      globalThis.eval = realEval;
      globalThis.Function = RealFunction;
    }
    assert.deepEqual(calls, []);
    assert.ok(refused >= files.length, `${refused} refusals`);
  });
});
