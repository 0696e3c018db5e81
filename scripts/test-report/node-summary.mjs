// @ts-check
/**
 * A node:test reporter (`--test-reporter`) that prints, after the run, the slowest tests with
 * their times, a `FAILED <file> › <test>` line per failed test (scripts/test-repeat.mjs collects
 * them) and one closing line `node: N passed, N failed[, N skipped]`. It sits beside the
 * spec reporter in scripts/test-node.mjs. Suites are not counted, only the tests in them.
 */
import { relative } from 'node:path';

const SLOWEST = 10;

/**
 * @param {AsyncIterable<{ type: string, data: any }>} source
 * @returns {AsyncGenerator<string>}
 */
export default async function* nodeSummary(source) {
  /** @type {{ name: string, file: string, ms: number }[]} */
  const tests = [];
  /** @type {string[]} */
  const failures = [];
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const { type, data } of source) {
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    if (data.details?.type === 'suite') continue;
    // A file that fails outside any test is reported as a test named after the file.
    const file = data.file ? relative(process.cwd(), data.file) : '';
    if (data.skip || data.todo) {
      skipped += 1;
      continue;
    }
    if (type === 'test:pass') passed += 1;
    else {
      failed += 1;
      failures.push(`${file} › ${data.name}`);
    }
    tests.push({ name: data.name, file, ms: data.details?.duration_ms ?? 0 });
  }
  const slowest = [...tests].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
  let out = `\nSlowest ${slowest.length} Node tests:\n`;
  for (const t of slowest) out += `  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.file} › ${t.name}\n`;
  for (const f of failures) out += `\nFAILED ${f}`;
  if (failures.length) out += '\n';
  out += `\nnode: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
  yield out;
}
