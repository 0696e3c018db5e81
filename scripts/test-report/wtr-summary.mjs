// @ts-check
/**
 * A @web/test-runner reporter that prints one summary when the run stops: how many test files
 * and tests, the slowest tests with their times, the files that failed to load, and one closing
 * line `browser: N passed, N failed[, N skipped]`. In CI (no TTY) web-test-runner.config.mjs
 * pairs it with the default reporter minus its progress bar, which in a log is printed again on
 * every update; failures and browser logs still come from the default reporter, per file.
 */

const SLOWEST = 10;

/**
 * @typedef {import('@web/test-runner-core').TestSuiteResult} TestSuiteResult
 * @typedef {{ file: string, name: string, passed: boolean, skipped: boolean, ms: number }} Row
 */

/**
 * @param {TestSuiteResult | undefined} suite @param {string} file @param {string[]} path
 * @returns {Row[]}
 */
function flatten(suite, file, path = []) {
  if (!suite) return [];
  const here = suite.name ? [...path, suite.name] : path;
  return [
    ...suite.tests.map((t) => ({
      file,
      name: [...here, t.name].join(' › '),
      passed: t.passed,
      skipped: t.skipped,
      ms: t.duration ?? 0,
    })),
    ...suite.suites.flatMap((s) => flatten(s, file, here)),
  ];
}

/** @returns {import('@web/test-runner-core').Reporter} */
export function summaryOnceReporter() {
  /** @type {number} */
  let startTime = Date.now();
  return {
    start(args) {
      startTime = args.startTime;
    },
    stop({ sessions }) {
      const cwd = process.cwd();
      const rows = sessions.flatMap((s) => flatten(s.testResults, s.testFile.replace(`${cwd}/`, '')));
      const broken = sessions.filter((s) => s.errors.length > 0 && !s.testResults?.tests.length);
      const ran = rows.filter((r) => !r.skipped);
      const passed = ran.filter((r) => r.passed).length;
      const failed = ran.length - passed + broken.length;
      const skipped = rows.length - ran.length;
      const slowest = [...ran].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST);
      let out = `\nBrowser tests: ${sessions.length} files in ${((Date.now() - startTime) / 1000).toFixed(0)} s.\n`;
      out += `Slowest ${slowest.length} browser tests:\n`;
      for (const r of slowest) out += `  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.file} › ${r.name}\n`;
      for (const s of broken) out += `\nFailed to run ${s.testFile.replace(`${cwd}/`, '')}: ${s.errors[0]?.message}\n`;
      for (const r of ran.filter((x) => !x.passed)) out += `\nFAILED ${r.file} › ${r.name}\n`;
      out += `\nbrowser: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
      process.stdout.write(out);
    },
  };
}
