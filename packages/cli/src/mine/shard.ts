/**
 * `--shard i/n | auto`: which part of the image list this process mines. `auto` takes the index
 * from the scheduler the job already runs under — a Kubernetes Indexed Job
 * (`JOB_COMPLETION_INDEX`, with the shard count in `JOB_COMPLETIONS`, which the Job manifest sets
 * to its `completions`) or a Slurm job array (`SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_MIN`,
 * `SLURM_ARRAY_TASK_STEP`, `SLURM_ARRAY_TASK_COUNT`). The split itself is core's (`shardIndices`).
 */
import type { ShardSpec } from '@bagnet-vis/core';

import { UsageError } from '../errors.js';

type Env = Readonly<Record<string, string | undefined>>;

function envInteger(env: Env, name: string, min: number): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < min) {
    throw new UsageError(`--shard auto: ${name} is '${v}', expected an integer ≥ ${min}`);
  }
  return Number(v);
}

/** The shard of `--shard <value>`, reading `env` for `auto`; undefined for no `--shard`. */
export function parseShard(value: string | undefined, env: Env = process.env): ShardSpec | undefined {
  if (value === undefined) return undefined;
  if (value === 'auto') return schedulerShard(env);
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (m === null || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) {
    throw new UsageError(`--shard expects i/n with 0 ≤ i < n (e.g. 0/4) or 'auto', got '${value}'`);
  }
  return { index: Number(m[1]), count: Number(m[2]) };
}

function schedulerShard(env: Env): ShardSpec {
  const k8s = envInteger(env, 'JOB_COMPLETION_INDEX', 0);
  if (k8s !== undefined) {
    const count = envInteger(env, 'JOB_COMPLETIONS', 1);
    if (count === undefined) {
      throw new UsageError(
        "--shard auto: JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but JOB_COMPLETIONS is not; set it to the Job's completions in the manifest (see the bagnet mine docs)",
      );
    }
    if (k8s >= count)
      throw new UsageError(`--shard auto: JOB_COMPLETION_INDEX ${k8s} is not below JOB_COMPLETIONS ${count}`);
    return { index: k8s, count };
  }
  const id = envInteger(env, 'SLURM_ARRAY_TASK_ID', 0);
  if (id !== undefined) {
    const count = envInteger(env, 'SLURM_ARRAY_TASK_COUNT', 1);
    const min = envInteger(env, 'SLURM_ARRAY_TASK_MIN', 0) ?? 0;
    const step = envInteger(env, 'SLURM_ARRAY_TASK_STEP', 1) ?? 1;
    if (count === undefined)
      throw new UsageError('--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not');
    const index = (id - min) / step;
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new UsageError(
        `--shard auto: Slurm task ${id} is not one of ${count} tasks from ${min} in steps of ${step}; use --array=0-${count - 1}`,
      );
    }
    return { index, count };
  }
  throw new UsageError(
    '--shard auto found no scheduler index: it reads JOB_COMPLETION_INDEX and JOB_COMPLETIONS (Kubernetes Indexed Job) or SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (Slurm job array); elsewhere give --shard i/n',
  );
}

/** `--out` with `{shard}` replaced by the shard's index (so one command line serves every task). */
export function shardOutPath(out: string, shard: ShardSpec | undefined): string {
  if (!out.includes('{shard}')) return out;
  if (shard === undefined) throw new UsageError("--out contains '{shard}' but no --shard is given");
  return out.replaceAll('{shard}', String(shard.index));
}
