/**
 * The suite's own reporters (scripts/test-report/): what CI prints at the end of a run and what
 * `npm run test:repeat` reads back from it. The Node reporter runs under a real `node --test` on a
 * throwaway test file (in a temporary folder) with a passing, a failing, a skipped and a nested
 * test; the browser reporter is given web-test-runner's session shape.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

import { formatSummary } from '../../scripts/test-report/node-summary.mjs';
import { summaryOnceReporter } from '../../scripts/test-report/wtr-summary.mjs';

const REPORTER = fileURLToPath(new URL('../../scripts/test-report/node-summary.mjs', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'bagnet-test-report-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('the Node summary reporter', () => {
  it('counts tests (not suites), names each failure, lists the slowest, under a real node --test', () => {
    writeFileSync(
      join(scratch, 'sample.test.mjs'),
      [
        "import { describe, it } from 'node:test';",
        "it('passes', () => {});",
        "it('fails', () => { throw new Error('no'); });",
        "it.skip('is skipped', () => {});",
        "describe('group', () => { it('waits', async () => { await new Promise((r) => setTimeout(r, 120)); }); });",
      ].join('\n'),
    );
    const r = spawnSync(process.execPath, ['--test', `--test-reporter=${REPORTER}`, 'sample.test.mjs'], {
      cwd: scratch,
      encoding: 'utf8',
      // Without the parent run's NODE_TEST_CONTEXT (this run would report to it instead) and the
      // lane's BAGNET_TEST_SUMMARY (it would overwrite the lane's summary file).
      env: Object.fromEntries(
        Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT' && k !== 'BAGNET_TEST_SUMMARY'),
      ),
    });
    assert.equal(r.status, 1, `a failed test fails the run:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^FAILED sample\.test\.mjs › fails$/m);
    assert.doesNotMatch(r.stdout, /^FAILED .*(passes|waits|group)/m);
    assert.match(r.stdout, /^node: 2 passed, 1 failed, 1 skipped$/m);
    // The slowest test is the one that waited 120 ms, listed first with its file.
    const first = /Slowest \d+ Node tests:\n\s+([\d.]+) s {2}(.+)\n/.exec(r.stdout);
    assert.ok(first, r.stdout);
    assert.equal(first[2], 'sample.test.mjs › waits');
    assert.ok(Number(first[1]) >= 0.1 && Number(first[1]) < 5, first[1]);
  });

  it('merges lanes into one summary', () => {
    const text = formatSummary([
      {
        tests: [{ name: 'a', file: 'x.test.ts', ms: 1000 }],
        files: [['x.test.ts', 1000]],
        failures: [],
        passed: 1,
        failed: 0,
        skipped: 0,
      },
      {
        tests: [{ name: 'b', file: 'y.test.ts', ms: 3000 }],
        files: [['y.test.ts', 3000]],
        failures: ['y.test.ts › c'],
        passed: 1,
        failed: 1,
        skipped: 0,
      },
    ]);
    assert.match(text, /Slowest 2 Node tests:\n\s+3\.0 s {2}y\.test\.ts › b\n\s+1\.0 s {2}x\.test\.ts › a\n/);
    assert.match(text, /^FAILED y\.test\.ts › c$/m);
    assert.match(text, /^node: 2 passed, 1 failed$/m);
  });
});

describe('the browser summary reporter', () => {
  it('prints one summary: files, slowest tests, failures, files that did not load, counts', () => {
    const cwd = process.cwd();
    const test = (name: string, passed: boolean, duration: number, skipped = false) => ({
      name,
      passed,
      skipped,
      duration,
    });
    const sessions = [
      {
        testFile: `${cwd}/a.test.ts`,
        errors: [],
        testResults: {
          name: '',
          tests: [test('top', true, 40)],
          suites: [{ name: 'suite', tests: [test('slow', true, 2500), test('broken', false, 10)], suites: [] }],
        },
      },
      { testFile: `${cwd}/b.test.ts`, errors: [{ message: 'SyntaxError: nope' }], testResults: undefined },
      {
        testFile: `${cwd}/c.test.ts`,
        errors: [],
        testResults: { name: '', tests: [test('later', true, 0, true)], suites: [] },
      },
    ];
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      out += chunk;
      return true;
    }) as typeof process.stdout.write;
    try {
      const reporter = summaryOnceReporter();
      reporter.start?.({ startTime: Date.now() } as never);
      reporter.stop?.({ sessions } as never);
    } finally {
      process.stdout.write = write;
    }
    assert.match(out, /Browser tests: 3 files in \d+ s\./);
    assert.match(out, /Slowest 3 browser tests:\n\s+2\.5 s {2}a\.test\.ts › suite › slow\n/);
    assert.match(out, /^Failed to run b\.test\.ts: SyntaxError: nope$/m);
    assert.match(out, /^FAILED a\.test\.ts › suite › broken$/m);
    assert.match(out, /^browser: 2 passed, 2 failed, 1 skipped$/m);
  });
});
