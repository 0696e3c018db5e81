/**
 * The full soak run with the counts (1,000 class switches, 100 image swaps, 50 cancelled
 * dense runs, 20 connects/disconnects), then a WebGL context loss mid-run and its recovery; prints
 * the figures.
 *
 *   node --conditions=source --import tsx test/soak/run.ts [--backend webgl|wasm] [--json file]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import type { SoakApi } from './api.js';
import { launchChromium, openPage, startPageServer } from './harness.js';
import { formatFigures, FULL_COUNTS, runSoak } from './soak.js';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'webgl' }, json: { type: 'string' } } });
const server = await startPageServer();
const chromium = await launchChromium();
try {
  const p = await openPage(chromium.browser, server.url);
  const t0 = Date.now();
  const figures = await runSoak(p, values.backend!, FULL_COUNTS, { objectsEveryPhase: true });
  console.log(formatFigures(figures));
  let contextLoss: unknown;
  if (values.backend === 'webgl') {
    type Win = Window & { soak: SoakApi };
    const before = await p.page.evaluate(() => (window as unknown as Win).soak.memory());
    const lost = await p.page.evaluate(() => (window as unknown as Win).soak.loseContextMidRun());
    const restored = await p.page.evaluate(() => (window as unknown as Win).soak.restoreContext());
    contextLoss = { tensorsBefore: before.tensors, lost, restored };
    console.log('context loss:', JSON.stringify(contextLoss, null, 2));
  }
  console.log(`problems: ${JSON.stringify(p.problems)}; total ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (values.json)
    writeFileSync(values.json, `${JSON.stringify({ figures, contextLoss, problems: p.problems }, null, 2)}\n`);
} finally {
  await chromium.close();
  await server.close();
}
