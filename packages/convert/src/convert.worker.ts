/**
 * The module Web Worker of `CheckpointConverter`: reads a checkpoint (from a Blob/File, in chunks,
 * or from bytes), converts it with the safe unpickler and posts the folded weights back with their
 * ArrayBuffers transferred (no copy). Imports no tfjs: the page builds the model.
 *
 * Messages: see worker-protocol.ts. One conversion at a time; the page cancels by terminating
 * the worker.
 */
import { convertCheckpointWeights, formatBytes } from './convert-weights.js';
import { serializeError } from './worker-protocol.js';
import type { ConvertRequest, ConvertResponse, WorkerConvertProgress } from './worker-protocol.js';

/** Share of the whole conversion each stage stands for in `fraction` (measured on a BagNet-33). */
const STAGES: Readonly<Record<WorkerConvertProgress['stage'], readonly [start: number, share: number]>> = {
  load: [0, 0.2],
  hash: [0.2, 0.15],
  read: [0.35, 0.35],
  fold: [0.7, 0.3],
};

interface WorkerScope {
  postMessage(message: ConvertResponse, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ConvertRequest>) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

scope.addEventListener('message', (event) => {
  const request = event.data;
  if (request?.type !== 'convert') return;
  void convert(request);
});

async function convert({ id, input, options }: ConvertRequest): Promise<void> {
  const fileName = options.fileName ?? 'checkpoint';
  let last: WorkerConvertProgress | undefined;
  const report = (stage: WorkerConvertProgress['stage'], done: number, total: number, message: string) => {
    const [start, share] = STAGES[stage];
    const complete = total > 0 ? done / total : 1;
    const fraction = stage === 'fold' && complete === 1 ? 1 : Math.min(1, start + share * complete);
    const unit = stage === 'read' ? 'tensors' : stage === 'fold' ? 'weights' : 'bytes';
    // At most ~100 events a stage, plus the first and the last of each.
    if (last?.stage === stage && done < total && (done - last.done) * 100 < total) return;
    last = { stage, done, total, unit, fraction, message };
    scope.postMessage({ type: 'progress', id, progress: last });
  };
  try {
    const bytes = input instanceof Blob ? await readBlob(input, fileName, report) : input;
    if (!(input instanceof Blob)) report('load', bytes.length, bytes.length, `received ${formatBytes(bytes.length)}`);
    report('hash', 0, bytes.length, `SHA-256 of ${fileName}`);
    const result = await convertCheckpointWeights(bytes, options, {
      onHashed: () => report('hash', bytes.length, bytes.length, `SHA-256 of ${fileName}`),
      onTensor: (done, total) => report('read', done, total, `reading tensor ${done} of ${total}`),
      onWeight: (done, total) => report('fold', done, total, `folding weight ${done} of ${total}`),
    });
    const buffers = new Set<ArrayBuffer>();
    for (const w of result.weights.values()) buffers.add(w.data.buffer as ArrayBuffer);
    scope.postMessage({ type: 'done', id, result }, [...buffers]);
  } catch (e) {
    scope.postMessage({ type: 'error', id, error: serializeError(e) });
  }
}

/** The bytes of `blob`, read in chunks with `load` progress. */
async function readBlob(
  blob: Blob,
  fileName: string,
  report: (stage: 'load', done: number, total: number, message: string) => void,
): Promise<Uint8Array> {
  const total = blob.size;
  const out = new Uint8Array(total);
  const message = (done: number) => `reading ${fileName}: ${formatBytes(done)} of ${formatBytes(total)}`;
  report('load', 0, total, message(0));
  const reader = blob.stream().getReader();
  let done = 0;
  for (;;) {
    const chunk = await reader.read();
    if (chunk.done) break;
    const n = Math.min(chunk.value.length, total - done);
    out.set(chunk.value.subarray(0, n), done);
    done += n;
    report('load', done, total, message(done));
  }
  if (done !== total) report('load', total, total, message(total));
  return done === total ? out : out.subarray(0, done);
}
