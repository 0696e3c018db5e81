/**
 * The BagNet a training run returns: the source model's architecture with as many classes as the
 * new labels, its weights with some replaced (the head, or all of them), and provenance that says
 * what was trained on what.
 */
import type { Tensor } from '@tensorflow/tfjs-core';

import { BagNet } from '../bagnet.js';
import type { WeightValue } from '../bagnet.js';
import { FORMAT_WRITER } from '../io.js';
import type { Provenance } from '../metadata.js';

/** How a derived model came about, for its provenance. */
export interface Derivation {
  /** Short, for `provenance.source`: e.g. `head fine-tuned`. */
  readonly how: string;
  /** What was trained on what, with the results, for `provenance.notes`. */
  readonly notes: string;
}

/** A model derived from `source`: `weights` replace the source's values of the same name. */
export function derivedBagNet(
  source: BagNet,
  weights: ReadonlyMap<string, WeightValue>,
  labels: readonly string[],
  derivation: Derivation,
): BagNet {
  const { architecture, inputSize, normalization, provenance } = source.metadata;
  const current = source.getWeights();
  try {
    const all = new Map<string, WeightValue>();
    for (const [name, value] of current) if (!weights.has(name)) all.set(name, value);
    for (const [name, value] of weights) all.set(name, value);
    return BagNet.create(
      { ...architecture, numClasses: labels.length },
      { weights: all, labels, inputSize, normalization, provenance: derivedProvenance(provenance, derivation) },
    );
  } finally {
    current.forEach((t: Tensor) => t.dispose());
  }
}

/**
 * The source's provenance with the training described in its notes. The source's hash is dropped
 * (it identifies a file these weights no longer come from) and named in the notes instead.
 */
function derivedProvenance(source: Provenance, derivation: Derivation): Provenance {
  const origin = [
    `Derived from ${source.source}`,
    source.sha256 !== undefined ? ` (sha256 ${source.sha256})` : '',
    source.notes !== undefined ? `, whose notes read: ${source.notes}` : '',
  ].join('');
  return {
    source: `${source.source} (${derivation.how})`,
    convertedBy: FORMAT_WRITER,
    date: new Date().toISOString(),
    notes: `${derivation.notes} ${origin}`,
  };
}
