// @ts-check
/**
 * A node:test reporter (`--test-reporter`) for scripts/test-node.mjs. It collects every test's
 * result and time and, when `BAGNET_TEST_SUMMARY` names a file, writes them there as JSON (the
 * runner merges its lanes' files and prints one summary with {@link formatSummary}); otherwise it
 * prints the summary itself. The summary lists the slowest tests and test files with their times,
 * a `FAILED <file> › <test>` line per failed test (scripts/test-repeat.mjs collects them) and one
 * closing line `node: N passed, N failed[, N skipped]`. Suites are not counted, only the tests in
 * them.
 */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

const SLOWEST = 10;

/**
 * @typedef {{ name: string, file: string, ms: number }} TestTime
 * @typedef {{ tests: TestTime[], files: [string, number][], failures: string[], passed: number,
 *   failed: number, skipped: number }} NodeSummary
 */

/**
 * The summary text of one or more lanes' results.
 * @param {NodeSummary[]} parts
 * @returns {string}
 */
export function formatSummary(parts) {
  const tests = parts.flatMap((p) => p.tests);
  const files = parts.flatMap((p) => p.files);
  const failures = parts.flatMap((p) => p.failures);
  const sum = (/** @type {'passed' | 'failed' | 'skipped'} */ k) => parts.reduce((n, p) => n + p[k], 0);
  const slowest = [...tests].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
  let out = `\nSlowest ${slowest.length} Node tests:\n`;
  for (const t of slowest) out += `  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.file} › ${t.name}\n`;
  const slowFiles = [...files].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST);
  out += `\nSlowest ${slowFiles.length} Node test files (their tests and suites; process start not included):\n`;
  for (const [f, ms] of slowFiles) out += `  ${(ms / 1000).toFixed(1).padStart(6)} s  ${f}\n`;
  for (const f of failures) out += `\nFAILED ${f}`;
  if (failures.length) out += '\n';
  const skipped = sum('skipped');
  out += `\nnode: ${sum('passed')} passed, ${sum('failed')} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
  return out;
}

/**
 * @param {AsyncIterable<{ type: string, data: any }>} source
 * @returns {AsyncGenerator<string>}
 */
export default async function* nodeSummary(source) {
  /** @type {NodeSummary} */
  const s = { tests: [], files: [], failures: [], passed: 0, failed: 0, skipped: 0 };
  /** Per test file: the summed time of its top-level tests and suites (hooks inside suites included). */
  /** @type {Map<string, number>} */
  const files = new Map();
  for await (const { type, data } of source) {
    if (type !== 'test:pass' && type !== 'test:fail') continue;
    // A file that fails outside any test is reported as a test named after the file.
    const file = data.file ? relative(process.cwd(), data.file) : '';
    if (data.nesting === 0 && file) files.set(file, (files.get(file) ?? 0) + (data.details?.duration_ms ?? 0));
    if (data.details?.type === 'suite') continue;
    if (data.skip || data.todo) {
      s.skipped += 1;
      continue;
    }
    if (type === 'test:pass') s.passed += 1;
    else {
      s.failed += 1;
      s.failures.push(`${file} › ${data.name}`);
    }
    s.tests.push({ name: data.name, file, ms: data.details?.duration_ms ?? 0 });
  }
  s.files = [...files];
  const target = process.env['BAGNET_TEST_SUMMARY'];
  if (target) writeFileSync(target, JSON.stringify(s));
  else yield formatSummary([s]);
}
