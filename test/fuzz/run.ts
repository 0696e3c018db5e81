/**
 * The fuzzing benchmark: many seeded cases in child processes, watched from outside.
 *
 *   node --conditions=source --import tsx test/fuzz/run.ts --cases 100000
 *   node --conditions=source --import tsx test/fuzz/run.ts --seed 1 --target checkpoint --case 123
 *
 * Options: --cases N (total, split evenly over the targets; default 10000), --seed S (default 1),
 * --target checkpoint|model-json|all, --workers W (default 2), --hang-ms (a case that runs longer is
 * killed and counted as a hang; default 10000), --slow-ms (reported, not killed; default 1000),
 * --json FILE (write the figures), --case I (run one case in this process and print it).
 *
 * Each worker is a child process (so an out-of-memory abort or a hang cannot take the runner down)
 * that reports every case it starts; the runner kills a worker whose case exceeds --hang-ms, or
 * notices one that died, records the case, and restarts the worker after it. Workers run with
 * --expose-gc and report the heap after a full GC at the start (after a warm-up) and at the end, and
 * tf.memory().numTensors: growth shows up as a leak. The run fails (exit 1) on a crash, hang, death,
 * oversized message, or heap growth past the bound of ./heap-bound.ts (per worker series, measured
 * from the sample after the warm-up).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';

import { addResult, describeCase, emptySummary, loadCorpus, runCase, TARGETS } from './fuzzer.js';
import { heapGrowthBound } from './heap-bound.js';
import type { CaseResult, FuzzSummary, TargetName } from './fuzzer.js';

interface Job {
  readonly target: TargetName;
  readonly seed: number;
  readonly from: number;
  readonly to: number;
  readonly slowMs: number;
}

interface Memory {
  readonly heapUsed: number;
  readonly rss: number;
  readonly tensors: number;
}

type ChildMessage =
  | { readonly kind: 'begin'; readonly index: number }
  | { readonly kind: 'memory'; readonly at: number; readonly memory: Memory }
  | { readonly kind: 'done'; readonly summary: FuzzSummary };

function memory(): Memory {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss, tensors: tf.memory().numTensors };
}

/** Worker side: runs `job`, reporting each case before it starts. */
async function child(): Promise<void> {
  const corpus = await loadCorpus();
  process.on('message', (raw) => {
    void (async () => {
      const job = raw as Job;
      const send = (m: ChildMessage) => process.send!(m);
      const summary = emptySummary();
      // Samples: before the first case (the tensor baseline), after a warm-up (the heap baseline:
      // tfjs kernels and caches are set up by then), every tenth of the run, and at the end.
      const warmup = Math.min(job.to, job.from + Math.min(500, Math.floor((job.to - job.from) / 4)));
      const every = Math.max(1000, Math.floor((job.to - job.from) / 10));
      send({ kind: 'memory', at: job.from, memory: memory() });
      for (let i = job.from; i < job.to; i++) {
        if (i === warmup || (i > warmup && (i - warmup) % every === 0))
          send({ kind: 'memory', at: i, memory: memory() });
        send({ kind: 'begin', index: i });
        addResult(summary, await runCase(corpus, job.target, job.seed, i), job.slowMs);
      }
      send({ kind: 'memory', at: job.to, memory: memory() });
      send({ kind: 'done', summary });
      process.disconnect();
    })();
  });
  process.send!({ kind: 'ready' });
}

interface WorkerReport {
  summary: FuzzSummary;
  hangs: { target: TargetName; index: number }[];
  deaths: { target: TargetName; index: number; code: number | null; signal: string | null }[];
  memory: { at: number; memory: Memory }[];
  restarts: number;
}

/** Runs cases [from, to) of `target` in child processes, restarting after hangs and deaths. */
async function supervise(
  target: TargetName,
  seed: number,
  from: number,
  to: number,
  opts: { hangMs: number; slowMs: number },
) {
  const report: WorkerReport = { summary: emptySummary(), hangs: [], deaths: [], memory: [], restarts: 0 };
  let next = from;
  while (next < to) {
    const start = next;
    await new Promise<void>((resolve) => {
      const proc: ChildProcess = fork(fileURLToPath(import.meta.url), ['--child'], {
        execArgv: ['--conditions=source', '--import', 'tsx', '--expose-gc', '--max-old-space-size=3072'],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      let current = start;
      let lastBeat = Date.now();
      let finished = false;
      const watchdog = setInterval(() => {
        if (Date.now() - lastBeat > opts.hangMs) {
          report.hangs.push({ target, index: current });
          finished = true;
          next = current + 1;
          proc.kill('SIGKILL');
        }
      }, 250);
      proc.on('message', (raw) => {
        const m = raw as ChildMessage | { kind: 'ready' };
        lastBeat = Date.now();
        if (m.kind === 'ready') proc.send({ target, seed, from: start, to, slowMs: opts.slowMs } satisfies Job);
        else if (m.kind === 'begin') current = m.index;
        else if (m.kind === 'memory') report.memory.push({ at: m.at, memory: m.memory });
        else {
          merge(report.summary, m.summary);
          finished = true;
          next = to;
        }
      });
      proc.on('exit', (code, signal) => {
        clearInterval(watchdog);
        if (!finished) {
          report.deaths.push({ target, index: current, code, signal });
          next = current + 1;
        }
        resolve();
      });
    });
    if (next < to) report.restarts++;
  }
  return report;
}

function merge(into: FuzzSummary, s: FuzzSummary): void {
  into.cases += s.cases;
  into.ok += s.ok;
  into.typed += s.typed;
  into.crashes.push(...s.crashes);
  into.oversized.push(...s.oversized);
  into.slow.push(...s.slow);
  for (const [k, v] of Object.entries(s.byError)) into.byError[k] = (into.byError[k] ?? 0) + v;
  if (s.maxMs > into.maxMs) {
    into.maxMs = s.maxMs;
    if (s.maxCase !== undefined) into.maxCase = s.maxCase;
  }
}

const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'boolean' },
      cases: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      target: { type: 'string', default: 'all' },
      workers: { type: 'string', default: '2' },
      'hang-ms': { type: 'string', default: '10000' },
      'slow-ms': { type: 'string', default: '1000' },
      json: { type: 'string' },
      case: { type: 'string' },
    },
  });
  if (values.child) return child();
  const seed = Number(values.seed);
  const targets = values.target === 'all' ? TARGETS : [values.target as TargetName];
  if (!targets.every((t) => TARGETS.includes(t)))
    throw new Error(`--target must be all or one of ${TARGETS.join(', ')}`);
  if (values.case !== undefined) {
    const corpus = await loadCorpus();
    for (const t of targets) {
      const r: CaseResult = await runCase(corpus, t, seed, Number(values.case));
      console.log(describeCase(r, seed));
      if (r.stack) console.log(r.stack);
    }
    return;
  }
  const total = Number(values.cases);
  const workers = Math.max(1, Number(values.workers));
  const opts = { hangMs: Number(values['hang-ms']), slowMs: Number(values['slow-ms']) };
  const perTarget = Math.ceil(total / targets.length);
  const t0 = Date.now();
  // Each target's range is split over the workers; the jobs run `workers` at a time.
  const jobs = targets.flatMap((target) => {
    const chunk = Math.ceil(perTarget / workers);
    return Array.from({ length: workers }, (_, w) => ({
      target,
      from: w * chunk,
      to: Math.min(perTarget, (w + 1) * chunk),
    })).filter((j) => j.to > j.from);
  });
  const reports: (WorkerReport & { target: TargetName; from: number; to: number; seconds: number })[] = [];
  const queue = [...jobs];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
        const j0 = Date.now();
        const r = await supervise(job.target, seed, job.from, job.to, opts);
        reports.push({ ...r, ...job, seconds: (Date.now() - j0) / 1000 });
        console.error(`${job.target} [${job.from}, ${job.to}): done in ${((Date.now() - j0) / 1000).toFixed(0)} s`);
      }
    }),
  );
  const seconds = (Date.now() - t0) / 1000;
  const figures = targets.map((target) => {
    const mine = reports.filter((r) => r.target === target);
    const summary = emptySummary();
    mine.forEach((r) => merge(summary, r.summary));
    // Heap and RSS: end minus the sample after the warm-up; tensors: end minus start. A restarted
    // worker starts a new series (its samples are in order after the earlier one's).
    const growth = mine.map((r) => {
      const start = r.memory[0];
      const warm = r.memory[Math.min(1, r.memory.length - 1)];
      const last = r.memory[r.memory.length - 1];
      return start && warm && last
        ? {
            heap: last.memory.heapUsed - warm.memory.heapUsed,
            rss: last.memory.rss - warm.memory.rss,
            tensors: last.memory.tensors - start.memory.tensors,
            bound: heapGrowthBound(last.at - warm.at),
          }
        : { heap: 0, rss: 0, tensors: 0, bound: heapGrowthBound(0) };
    });
    return {
      target,
      cases: summary.cases + mine.reduce((a, r) => a + r.hangs.length + r.deaths.length, 0),
      ok: summary.ok,
      typed: summary.typed,
      byError: summary.byError,
      crashes: summary.crashes.map((r) => describeCase(r, seed)),
      oversizedMessages: summary.oversized.map((r) => describeCase(r, seed)),
      hangs: mine.flatMap((r) => r.hangs.map((h) => `${h.target} case ${h.index} (> ${opts.hangMs} ms, killed)`)),
      processDeaths: mine.flatMap((r) =>
        r.deaths.map((d) => `${d.target} case ${d.index}: exit ${d.code ?? ''}${d.signal ?? ''}`),
      ),
      slowCases: summary.slow.length,
      maxCaseMs: Number(summary.maxMs.toFixed(1)),
      maxCase: summary.maxCase,
      cpuSeconds: mine.reduce((a, r) => a + r.seconds, 0),
      heapGrowth: growth.map((g) => mb(g.heap)),
      heapGrowthBound: growth.map((g) => mb(g.bound)),
      heapOverBound: growth.filter((g) => g.heap > g.bound).map((g) => `${mb(g.heap)} > ${mb(g.bound)}`),
      rssGrowth: growth.map((g) => mb(g.rss)),
      tensorGrowth: growth.map((g) => g.tensors),
      memorySamples: mine.map((r) =>
        r.memory.map((m) => `${m.at}: heap ${mb(m.memory.heapUsed)}, tensors ${m.memory.tensors}`),
      ),
    };
  });
  const out = {
    seed,
    totalCases: figures.reduce((a, f) => a + f.cases, 0),
    wallSeconds: seconds,
    workers,
    ...opts,
    figures,
  };
  console.log(JSON.stringify(out, null, 2));
  if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(out, null, 2)}\n`);
  const bad = figures.some(
    (f) =>
      f.crashes.length + f.hangs.length + f.processDeaths.length + f.oversizedMessages.length + f.heapOverBound.length >
      0,
  );
  process.exitCode = bad ? 1 : 0;
}

await main();
