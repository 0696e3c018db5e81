/**
 * Soak in headless Chromium (test/soak/): class switches, image swaps, cancelled dense runs and
 * element reconnections on webgl, then a WebGL context loss in the middle of a run. After every
 * phase tfjs holds exactly the tensors it held after the warm-up, and at the end the page's objects
 * (a heap snapshot after full GCs, V8's compiled code aside) have not grown; no console error or
 * warning. (`test/soak/run.ts` snapshots after every phase, to show which one grew.)
 *
 * CI runs about a third of the issue's counts; `SOAK_FULL=1` runs them all (1,000 class switches,
 * 100 image swaps, 50 cancelled dense runs, 20 connects/disconnects), as does
 * `node --conditions=source --import tsx test/soak/run.ts`, which prints the figures.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import type { SoakApi } from '../soak/api.js';
import { launchChromium, openPage, startPageServer } from '../soak/harness.js';
import type { PageServer } from '../soak/harness.js';
import { formatFigures, FULL_COUNTS, runSoak } from '../soak/soak.js';
import type { SoakCounts } from '../soak/soak.js';

type Win = Window & { soak: SoakApi };

const COUNTS: SoakCounts =
  process.env['SOAK_FULL'] === '1'
    ? FULL_COUNTS
    : { classSwitches: 300, imageSwaps: 30, abortedDenseRuns: 15, reconnects: 6 };
/**
 * Growth allowed for the page's objects over the whole run: tfjs-layers keeps every name it ever
 * gave a layer variable (a global map, about 3 KiB per model built; tensorflow/tfjs#8459), and each
 * reconnection builds the model again.
 */
const OBJECTS_SLACK = 64 * 1024 + COUNTS.reconnects * 4 * 1024;

let server: PageServer;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
before(async () => {
  server = await startPageServer();
  chromium = await launchChromium();
});
after(async () => {
  await chromium?.close();
  await server?.close();
});

describe('soak in Chromium (webgl)', () => {
  test(`${COUNTS.classSwitches} class switches, ${COUNTS.imageSwaps} image swaps, ${COUNTS.abortedDenseRuns} cancelled dense runs, ${COUNTS.reconnects} reconnections: back to baseline`, async () => {
    const p = await openPage(chromium.browser, server.url);
    const f = await runSoak(p, 'webgl', COUNTS);
    console.log(formatFigures(f));
    for (const phase of f.phases) {
      assert.equal(phase.tensors, f.baseline.tensors, `${phase.phase}: tensors`);
      assert.equal(phase.gpuBytes, f.baseline.gpuBytes, `${phase.phase}: GPU bytes`);
    }
    const grown = f.phases[f.phases.length - 1]!.objects! - f.baseline.objects!;
    assert.ok(grown < OBJECTS_SLACK, `page objects grew by ${grown} bytes (allowed ${OBJECTS_SLACK})`);
    assert.equal(f.finishedDenseRuns, 0, 'every dense run was cancelled');
    assert.deepEqual(f.problems, []);
    assert.deepEqual(f.warnings, []);
    await p.page.close();
  });

  test('WebGL context lost mid-run: a recoverable state, then the explainer works again after restore', async () => {
    const p = await openPage(chromium.browser, server.url);
    await p.page.evaluate(() => (window as unknown as Win).soak.setup('webgl'));
    await p.page.evaluate(() => (window as unknown as Win).soak.imageSwaps(2));
    const before = await p.page.evaluate(() => (window as unknown as Win).soak.memory());
    const lost = await p.page.evaluate(() => (window as unknown as Win).soak.loseContextMidRun());
    assert.equal(lost.code, 'context-lost');
    assert.match(
      lost.message,
      /^The GPU \(WebGL\) context was lost, so this evidence is from before\. The model runs again as soon as the browser restores the context\.$/,
    );
    assert.equal(lost.shown, lost.message, 'shown in the explainer (role="alert")');
    assert.equal(lost.barsStillShown, 4, 'the last evidence stays visible');
    const restored = await p.page.evaluate(() => (window as unknown as Win).soak.restoreContext());
    assert.equal(restored.errorAfterRestore, '', 'the error is gone');
    assert.equal(restored.backend, 'webgl');
    assert.equal(
      restored.tensors,
      before.tensors,
      'the reloaded model holds what the old one did; nothing of the lost run is left',
    );
    assert.deepEqual(p.problems, []);
    await p.page.close();
  });
});
