/**
 * Reading labelled examples for training, one at a time as they arrive (an array, an iterator or
 * an async stream of decoded images): each is checked, turned into what training needs (pooled
 * backbone features for the head; normalised pixels for the whole network), copied to the CPU and
 * released, so device memory holds one image at a time however many there are.
 */
import { BagNetInputError, throwIfAborted } from '../errors.js';
import type { TimeSlicer } from '../scheduling.js';
import { checkClassCounts, checkExample } from './options.js';
import type { LabelledImage, LabelledImages, ResolvedTrainingOptions } from './options.js';

/** The examples, read: one record per example, its class index, and the count per class. */
export interface ReadExamples<T> {
  readonly records: readonly T[];
  readonly labels: Int32Array;
  readonly counts: Int32Array;
}

/**
 * Reads every example through `read` (which returns CPU data and releases its tensors), reporting
 * `prepare` progress and checking the signal between examples. Errors about an example's image
 * name its position. Throws unless every class has an example.
 */
export async function readExamples<T>(
  examples: LabelledImages,
  read: (example: LabelledImage) => Promise<T>,
  options: ResolvedTrainingOptions,
  slicer: TimeSlicer,
  what: string,
): Promise<ReadExamples<T>> {
  const { labels, signal, onProgress } = options;
  if (
    typeof examples !== 'object' ||
    examples === null ||
    !(Symbol.iterator in examples || Symbol.asyncIterator in examples)
  ) {
    throw new BagNetInputError(`${what}: examples must be an array or an (async) iterable of {image, label} objects.`);
  }
  const total = Array.isArray(examples) ? examples.length : undefined;
  const records: T[] = [];
  const classOf: number[] = [];
  const counts = new Int32Array(labels.length);
  let index = 0;
  for await (const raw of examples) {
    throwIfAborted(signal, what);
    const example = checkExample(raw, index, labels, what);
    let record: T;
    try {
      record = await read(example);
    } catch (e) {
      if (e instanceof BagNetInputError) {
        throw new BagNetInputError(
          `${what}: example ${index} (class ${JSON.stringify(labels[example.label])}): ${e.message}`,
          {
            cause: e,
          },
        );
      }
      throw e;
    }
    records.push(record);
    classOf.push(example.label);
    counts[example.label] = counts[example.label]! + 1;
    index++;
    onProgress?.({ phase: 'prepare', done: index, total });
    await slicer.step();
  }
  throwIfAborted(signal, what);
  checkClassCounts(counts, labels, what);
  return { records, labels: Int32Array.from(classOf), counts };
}
