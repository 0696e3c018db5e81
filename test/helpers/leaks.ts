/** Tensor-leak guard shared by the tfjs tests: every test asserts numTensors is unchanged. */
import * as tf from '@tensorflow/tfjs-core';

export async function noLeaks<T>(fn: () => Promise<T> | T): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor leak: ${before} tensors before, ${after} after`);
  return out;
}
