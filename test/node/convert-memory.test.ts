/**
 * The checkpoint reader's memory and time budget under hostile files (test/bad-inputs/attacks.ts,
 * built here, never committed): each attack class is converted with `convertCheckpoint` in a fresh
 * child process, which must end in the expected typed error within 2 s of CPU time, with a peak
 * RSS inside the bound stated in packages/convert/README.md, and then convert a good checkpoint
 * in the same process. Before the budget, these files took up to 4.8 GB and 46 s.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { attacks } from '../bad-inputs/attacks.js';
import type { Attack } from '../bad-inputs/attacks.js';
import { measureInChild, readerMemoryBound } from '../bench/convert-memory.run.js';
import type { ChildReport } from '../bench/convert-memory.run.js';

/** CPU time an attack may take (CPU, not wall: the machine is shared). */
const MAX_CPU_MS = 2000;

const dir = mkdtempSync(join(tmpdir(), 'bagnet-convert-memory-'));
let list: Attack[] = [];
before(async () => {
  list = await attacks();
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the checkpoint reader under hostile files: typed error, bounded memory and time, usable after', () => {
  test('every attack class', async () => {
    assert.equal(list.length, 7);
    // Two children at a time: each measures its own RSS and CPU time.
    const reports = new Map<string, ChildReport>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const attack = list[next++] as Attack;
        const file = join(dir, `${attack.id}.pth`);
        writeFileSync(file, attack.bytes);
        reports.set(attack.id, await measureInChild(file));
      }
    };
    await Promise.all([worker(), worker()]);
    for (const attack of list) {
      const r = reports.get(attack.id) as ChildReport;
      const where = `${attack.id} (${attack.what}): ${r.error}: ${r.message}`;
      assert.equal(r.error, attack.error, where);
      assert.match(r.message, attack.message, where);
      assert.ok(r.cpuMs <= MAX_CPU_MS, `${where}: ${r.cpuMs.toFixed(0)} ms of CPU`);
      // The whole file counts as pickle data (it is almost all pickle, or a zip record never read).
      const bound = readerMemoryBound(attack.referencedBytes, attack.bytes.length);
      assert.ok(
        r.peakExtraBytes <= bound,
        `${where}: peak RSS grew by ${(r.peakExtraBytes / 2 ** 20).toFixed(1)} MiB, bound ${(bound / 2 ** 20).toFixed(1)} MiB`,
      );
      assert.equal(r.usableAfter, true, `${where}: a good checkpoint did not convert afterwards`);
    }
  });
});
