/**
 * Observable's `viewof` contract on the elements, in Chromium: `viewof x = element` makes `x` the
 * value of `Generators.input(element)` — a generator that yields `element.value` at once and again
 * on each `input` event — and the cells that read `x` run again with each value. The elements are
 * imported from source (the CDN bundles are built separately).
 *
 * 1. Generators.input over `<bagnet-heatmap>` (hover and keyboard moves → the active cells) and
 *    `<evidence-bar>` (clicks and arrow keys → class indices).
 * 2. The notebook of demos/observable (its “Download code” module) run on a small runtime with
 *    the semantics of @observablehq/runtime, against a tiny model: hovering its heatmap drives its
 *    description cell, picking a class in its bars drives its heatmap.
 */
import { aTimeout, expect, waitUntil } from '@open-wc/testing';
import * as tf from '@tensorflow/tfjs-core';
import { EvidenceMap, PatchGeometry, useBackend } from '@bagnet-vis/core';

import * as elements from '../../packages/elements/src/index.js';
import '../../packages/elements/src/define.js';
import type { BagNetHeatmapElement } from '../../packages/elements/src/heatmap/heatmap.element.js';
import type { EvidenceBarElement } from '../../packages/elements/src/evidence-bar/evidence-bar.element.js';
import type { CellEvidence } from '../../packages/elements/src/shared/events.js';
import { modelCacheStats } from '../../packages/elements/src/shared/model-cache.js';
import { patternUrl } from '../../packages/elements/test/images.js';
import { ModelServer, tinyNet, TINY_LABELS } from '../../packages/elements/test/model-server.js';
import { settle } from '../../packages/elements/test/settle.js';

// ------------------------------------------------------------------ Generators.input, as documented

/** What `Generators.observe` returns: a generator of promises (the runtime awaits each). */
interface ValueGenerator<T> {
  next(): { done: false; value: Promise<T> };
  return(): { done: true; value: undefined };
  [Symbol.iterator](): ValueGenerator<T>;
}

/**
 * Observable's `Generators.observe(initialize)`: calls `initialize(change)` at once; each `next()`
 * gives a promise of the latest value passed to `change` since the previous `next()` (values in
 * between are skipped), or of the next one; `return()` calls the dispose function `initialize`
 * returned.
 */
function observe<T>(initialize: (change: (value: T) => void) => (() => void) | undefined): ValueGenerator<T> {
  let latest: T | undefined;
  let fresh = false;
  let waiting: ((value: T) => void) | undefined;
  const dispose = initialize((value) => {
    if (waiting) {
      waiting(value);
      waiting = undefined;
    } else {
      latest = value;
      fresh = true;
    }
  });
  const generator: ValueGenerator<T> = {
    next() {
      if (fresh) {
        fresh = false;
        return { done: false, value: Promise.resolve(latest as T) };
      }
      return { done: false, value: new Promise<T>((resolve) => (waiting = resolve)) };
    },
    return() {
      dispose?.();
      return { done: true, value: undefined };
    },
    [Symbol.iterator]: () => generator,
  };
  return generator;
}

type InputLike = EventTarget & { value?: unknown; type?: string; checked?: boolean };

/**
 * Observable's `Generators.input(element)`: the element's value now (unless undefined) and after
 * each of its `input` events (`click` for buttons and checkboxes, `change` for file inputs; custom
 * elements have no `type`, so `input` and `.value`).
 */
function input<T>(element: InputLike): ValueGenerator<T> {
  const event = ['button', 'submit', 'checkbox'].includes(element.type ?? '')
    ? 'click'
    : element.type === 'file'
      ? 'change'
      : 'input';
  const valueOf = () => (element.type === 'checkbox' ? element.checked : element.value) as T;
  return observe<T>((change) => {
    const inputted = () => change(valueOf());
    element.addEventListener(event, inputted);
    const value = valueOf();
    if (value !== undefined) change(value);
    return () => element.removeEventListener(event, inputted);
  });
}

/** A promise `next()` gave that a test stopped waiting for: it still takes the next value. */
const pending = new WeakMap<object, Promise<unknown>>();

/**
 * The next value of a generator, or `'none'` when none comes within `ms` (like the runtime, never
 * asks for another promise while one is pending).
 */
async function nextValue<T>(generator: ValueGenerator<T>, ms = 1000): Promise<T | 'none'> {
  const promise = (pending.get(generator) as Promise<T> | undefined) ?? generator.next().value;
  pending.set(generator, promise);
  const result = await Promise.race([promise.then((value) => ({ value })), aTimeout(ms).then(() => 'none' as const)]);
  if (result === 'none') return result;
  pending.delete(generator);
  return result.value;
}

// ------------------------------------------------------------------ known evidence

/**
 * 4 × 4 cells (q = 9, stride 8, 33 × 33 px), classes “for”, “other”, “third”. Class 0 row-major:
 * 4 2 0 −2 / −4 1 0 3 / 0.5 −0.5 0 0 / 2 −3 1 −1; class 1: cell / 10; class 2: −1.
 */
const CLASS0 = [4, 2, 0, -2, -4, 1, 0, 3, 0.5, -0.5, 0, 0, 2, -3, 1, -1];
function knownMap(): EvidenceMap {
  const logitMap = new Float32Array(48);
  CLASS0.forEach((v, i) => {
    logitMap[i * 3] = v;
    logitMap[i * 3 + 1] = i / 10;
    logitMap[i * 3 + 2] = -1;
  });
  return new EvidenceMap({
    logitMap,
    geometry: new PatchGeometry(9, 8, 33, 33, 4, 4),
    labels: ['for', 'other', 'third'],
    bias: new Float32Array([0.25, 0, 0]),
  });
}

const cellsOf = (el: BagNetHeatmapElement) => el.shadowRoot!.querySelector<HTMLElement>('.cells')!;

/** Moves the pointer over cell (row, col) of a heatmap of a 33 × 33 image. */
function hover(el: BagNetHeatmapElement, row: number, col: number): void {
  const r = cellsOf(el).getBoundingClientRect();
  cellsOf(el).dispatchEvent(
    new PointerEvent('pointermove', {
      clientX: r.left + ((col * 8 + 4.5) / 33) * r.width,
      clientY: r.top + ((row * 8 + 4.5) / 33) * r.height,
      bubbles: true,
      composed: true,
    }),
  );
}

function key(target: Element, k: string, init: KeyboardEventInit = {}): void {
  target.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, composed: true, ...init }));
}

const at = (v: CellEvidence | null | 'none') =>
  v === null || v === 'none' ? v : [v.row, v.col, v.classIndex, v.logit];

describe('viewof on the elements: Generators.input', () => {
  let host: HTMLDivElement;
  beforeEach(() => {
    host = document.createElement('div');
    host.style.width = '330px';
    document.body.append(host);
  });
  afterEach(() => host.remove());

  async function heatmap(classIndex = 0): Promise<BagNetHeatmapElement> {
    const el = document.createElement('bagnet-heatmap');
    el.evidence = knownMap();
    el.classIndex = classIndex;
    host.append(el);
    await settle(el);
    return el;
  }

  it('<bagnet-heatmap>: null, then the cell under the pointer on each move, null when it leaves', async () => {
    const el = await heatmap();
    const cell = input<CellEvidence | null>(el);
    expect(await nextValue(cell), 'initial value').to.equal(null);
    const seen: unknown[] = [];
    for (const [row, col] of [
      [0, 0],
      [1, 2],
      [1, 3],
      [3, 1],
    ] as const) {
      hover(el, row, col);
      seen.push(at(await nextValue(cell)));
    }
    cellsOf(el).dispatchEvent(new PointerEvent('pointerleave'));
    seen.push(at(await nextValue(cell)));
    expect(seen).to.deep.equal([[0, 0, 0, 4], [1, 2, 0, 0], [1, 3, 0, 3], [3, 1, 0, -3], null]);
    // The same cell again is no move: no event, no value.
    hover(el, 2, 2);
    expect(at(await nextValue(cell))).to.deep.equal([2, 2, 0, 0]);
    hover(el, 2, 2);
    expect(await nextValue(cell, 200)).to.equal('none');
    cell.return();
    await settle(el);
    await expect(el).to.be.accessible();
  });

  it('<bagnet-heatmap>: the keyboard cursor moves give the same values; the runtime sees only the latest', async () => {
    const el = await heatmap();
    const cell = input<CellEvidence | null>(el);
    expect(await nextValue(cell)).to.equal(null);
    const cells = cellsOf(el);
    cells.focus(); // the cursor starts on the strongest cell for the class: (0, 0), +4
    const seen = [at(await nextValue(cell))];
    for (const [k, init] of [
      ['ArrowRight', {}],
      ['ArrowDown', {}],
      ['End', {}],
      ['ArrowDown', {}],
      ['Home', { ctrlKey: true }],
    ] as const) {
      key(cells, k, init);
      seen.push(at(await nextValue(cell)));
    }
    expect(seen).to.deep.equal([
      [0, 0, 0, 4],
      [0, 1, 0, 2],
      [1, 1, 0, 1],
      [1, 3, 0, 3],
      [2, 3, 0, 0],
      [0, 0, 0, 4],
    ]);
    // Several moves between two pulls: Generators.input keeps only the latest (as the runtime,
    // which pulls once per frame, would see it).
    key(cells, 'ArrowDown');
    key(cells, 'ArrowDown');
    key(cells, 'ArrowRight');
    expect(at(await nextValue(cell))).to.deep.equal([2, 1, 0, -0.5]);
    cells.blur();
    expect(await nextValue(cell)).to.equal(null);
    // After return(), no more listening.
    cell.return();
    cells.focus();
    expect(await nextValue(cell, 200)).to.equal('none');
  });

  it('<evidence-bar>: the top-1 class at first, then the class of each click or arrow key', async () => {
    const el = document.createElement('evidence-bar');
    el.evidence = knownMap();
    el.k = 3;
    host.append(el);
    await settle(el);
    const classIndex = input<number | null>(el);
    expect(await nextValue(classIndex), 'top-1: “other”').to.equal(1);
    const row = (c: number) => el.shadowRoot!.querySelector<HTMLElement>(`[role="radio"][data-class="${c}"]`)!;
    const seen: unknown[] = [];
    for (const c of [0, 2, 1]) {
      row(c).click();
      seen.push(await nextValue(classIndex));
      await settle(el);
    }
    expect(seen).to.deep.equal([0, 2, 1]);
    row(1).click(); // already selected: `change` but no `input`
    expect(await nextValue(classIndex, 200)).to.equal('none');
    // Rows are in logit order: other (1), for (0), third (2).
    key(row(1), 'ArrowDown');
    expect(await nextValue(classIndex)).to.equal(0);
    await settle(el);
    key(row(0), 'ArrowDown');
    expect(await nextValue(classIndex)).to.equal(2);
    classIndex.return();
    await settle(el);
    await expect(el).to.be.accessible();
  });
});

// ------------------------------------------------------------------ the notebook, on a small runtime

/** The builtins and variables of a runtime module, as @observablehq/runtime's API calls them. */
type Definition = (...inputs: never[]) => unknown;
interface Observer {
  fulfilled(value: unknown, name?: string): void;
  rejected(error: unknown, name?: string): void;
}

function isGenerator(value: unknown): value is ValueGenerator<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ValueGenerator<unknown>).next === 'function' &&
    typeof (value as ValueGenerator<unknown>).return === 'function'
  );
}

class Variable {
  name: string | undefined;
  inputNames: string[] = [];
  definition: Definition = () => undefined;
  inputs: Variable[] = [];
  readonly dependents = new Set<Variable>();
  value: unknown;
  error: unknown;
  fulfilled = false;
  version = 0;
  generator: ValueGenerator<unknown> | undefined;

  constructor(
    private readonly module: NotebookModule,
    readonly observer: Observer | undefined,
  ) {}

  /** `define([name, ][inputs, ]definition)`; a non-function definition is a constant. */
  define(...args: unknown[]): this {
    const definition = args.pop();
    this.inputNames = Array.isArray(args[args.length - 1]) ? (args.pop() as string[]) : [];
    this.name = typeof args[0] === 'string' ? args[0] : undefined;
    this.definition = typeof definition === 'function' ? (definition as Definition) : () => definition;
    if (this.name !== undefined) this.module.scope.set(this.name, this);
    return this;
  }
}

/**
 * A minimal runtime with @observablehq/runtime's semantics for what the notebook uses: variables
 * run when all their inputs have values; a generator's values are pulled one per animation frame,
 * each one running the variables that read it again; a variable that runs again returns its old
 * generator (disposing its listeners).
 */
class NotebookModule {
  readonly scope = new Map<string, Variable>();
  readonly variables: Variable[] = [];

  constructor(private readonly builtins: Record<string, unknown>) {}

  variable(observer?: Observer): Variable {
    const v = new Variable(this, observer);
    this.variables.push(v);
    return v;
  }

  /** Replaces a variable's definition with a constant (as `module.redefine(name, value)`). */
  redefine(name: string, value: unknown): void {
    const v = this.scope.get(name);
    if (v === undefined) throw new Error(`no variable ${name}`);
    v.define(name, [], () => value);
  }

  value(name: string): unknown {
    return this.scope.get(name)?.value;
  }

  start(): void {
    for (const [name, value] of Object.entries(this.builtins)) {
      if (!this.scope.has(name)) this.variable().define(name, [], () => value);
    }
    for (const v of this.variables) {
      v.inputs = v.inputNames.map((n) => {
        const input = this.scope.get(n);
        if (input === undefined) throw new Error(`${v.name ?? 'a cell'}: ${n} is not defined`);
        input.dependents.add(v);
        return input;
      });
    }
    for (const v of this.variables) void this.#compute(v);
  }

  dispose(): void {
    for (const v of this.variables) {
      v.version++;
      v.generator?.return();
    }
  }

  async #compute(v: Variable): Promise<void> {
    const version = ++v.version;
    v.generator?.return();
    v.generator = undefined;
    if (!v.inputs.every((i) => i.fulfilled)) return; // runs when its last input gets a value
    let value: unknown;
    try {
      value = await v.definition(...(v.inputs.map((i) => i.value) as never[]));
    } catch (e) {
      v.error = e;
      v.observer?.rejected(e, v.name);
      return;
    }
    if (version !== v.version) return;
    if (isGenerator(value)) {
      v.generator = value;
      void this.#pull(v, value, version);
    } else this.#fulfil(v, value);
  }

  async #pull(v: Variable, generator: ValueGenerator<unknown>, version: number): Promise<void> {
    while (version === v.version) {
      const value = await generator.next().value;
      if (version !== v.version) return;
      this.#fulfil(v, value);
      await new Promise((r) => requestAnimationFrame(r));
    }
  }

  #fulfil(v: Variable, value: unknown): void {
    v.value = value;
    v.fulfilled = true;
    v.observer?.fulfilled(value, v.name);
    for (const d of v.dependents) void this.#compute(d);
  }
}

/** `Inspector.into(container)`: one block per cell, showing DOM values as they are. */
function inspectorInto(container: HTMLElement) {
  return (name?: string): Observer => {
    const block = document.createElement('div');
    block.dataset['cell'] = name ?? '';
    container.append(block);
    return {
      fulfilled(value) {
        if (value instanceof Node) block.replaceChildren(value);
        else block.textContent = value === undefined ? '' : JSON.stringify(value);
      },
      rejected(error) {
        block.textContent = `Error: ${String(error)}`;
      },
    };
  };
}

/** The stdlib's `html` and `md` for string interpolations: the source, parsed. */
function html(strings: TemplateStringsArray, ...values: unknown[]): Element {
  const template = document.createElement('template');
  template.innerHTML = String.raw({ raw: strings }, ...values).trim();
  return template.content.firstElementChild!;
}
function md(strings: TemplateStringsArray, ...values: unknown[]): HTMLElement {
  const div = document.createElement('div');
  div.textContent = String.raw({ raw: strings }, ...values).trim();
  return div;
}
/** Observable Inputs, as far as the notebook uses them: a view whose value is the default. */
const Inputs = {
  radio: (_options: unknown[], { value }: { value: unknown }) =>
    Object.assign(document.createElement('form'), { value }),
  select: (_data: unknown[], { value }: { value: unknown }) => Object.assign(document.createElement('form'), { value }),
};

const NOTEBOOK_URL = '/demos/observable/notebook/index.js';

describe('the Observable notebook (demos/observable)', () => {
  const server = new ModelServer();
  let modelUrl: string;
  let imageUrl: string;
  let baseline: number;

  before(async () => {
    await useBackend('wasm', { wasmPaths: '/node_modules/@tensorflow/tfjs-backend-wasm/dist/' });
    server.install();
    const net = tinyNet(9);
    modelUrl = await server.addModel('notebook', net);
    net.dispose();
    imageUrl = await patternUrl(33, 33, 5); // a 4 × 4 grid, as hover() assumes
    baseline = tf.memory().numTensors;
  });
  after(() => {
    server.uninstall();
    URL.revokeObjectURL(imageUrl);
  });

  it('loads the package with require, and viewof drives its cells: hover → description, class → heatmap', async () => {
    const container = document.createElement('div');
    container.style.width = '500px';
    document.body.append(container);
    const required: unknown[] = [];
    const require = Object.assign(async (name: string) => (required.push(name), elements), {
      alias: (aliases: Record<string, string>) => async (name: string) => (required.push(aliases, name), elements),
    });
    const Generators = { input };
    const { default: define } = (await import(/* @vite-ignore */ NOTEBOOK_URL)) as {
      default: (runtime: { module(): NotebookModule }, observer: (name?: string) => Observer) => NotebookModule;
    };
    const main = define(
      { module: () => new NotebookModule({ md, html, Inputs, Generators, require }) },
      inspectorInto(container),
    );
    // As a reader would, with a local model and image in place of the CDN's.
    main.redefine('modelUrl', modelUrl);
    main.redefine('imageUrl', imageUrl);
    main.redefine('labels', [...TINY_LABELS]);
    main.start();
    try {
      await waitUntil(() => main.value('bagnetVis') === elements, 'bagnetVis loaded');
      expect(main.value('loader')).to.equal('require (UMD)');
      expect(required).to.deep.equal([
        { '@tensorflow/tfjs-core': '@tensorflow/tfjs@4.22.0', '@tensorflow/tfjs-layers': '@tensorflow/tfjs@4.22.0' },
        '@bagnet-vis/elements@0.1.0/cdn/elements.umd.js',
      ]);

      const heatmap = main.value('viewof cell') as BagNetHeatmapElement;
      const bar = main.value('viewof classIndex') as EvidenceBarElement;
      expect(heatmap.localName).to.equal('bagnet-heatmap');
      expect(heatmap.isConnected, 'displayed').to.equal(true);
      await waitUntil(() => heatmap.summary.startsWith('Evidence map for'), 'heatmap computed', { timeout: 20000 });
      await settle(bar);
      const top = bar.value!;
      // Before any pick, `classIndex` is the bar's value when the cell ran: null while the model
      // was loading (the bar fires no `input` when its evidence arrives), the top-1 class after.
      // Either way the linking cell leaves the heatmap on the top-1 class.
      expect([null, top]).to.include(main.value('classIndex'));
      expect(heatmap.classIndex ?? top).to.equal(top);
      expect(main.value('cell')).to.equal(null);
      const description = () => container.querySelector('[data-cell=""]:last-child')!.textContent ?? '';
      expect(description()).to.contain('Hover over the heatmap');

      // Hover → `cell` → the description and the patch cells run again.
      hover(heatmap, 1, 2);
      await waitUntil(() => (main.value('cell') as CellEvidence | null)?.col === 2, 'cell from hover');
      const cell = main.value('cell') as CellEvidence;
      expect([cell.row, cell.col, cell.classIndex]).to.deep.equal([1, 2, top]);
      await waitUntil(() => description().startsWith('**Row 2, column 3**'), 'description follows the hover');
      expect(description()).to.contain(`a logit of **${cell.logit.toFixed(2)}** for “${TINY_LABELS[top]}”`);
      const patch = main.value('patch') as HTMLCanvasElement;
      const pixels = patch.getContext('2d')!.getImageData(0, 0, 88, 88).data;
      expect(
        pixels.some((v, i) => i % 4 === 3 && v > 0),
        'the patch is drawn',
      ).to.equal(true);

      // Keyboard → `cell`.
      cellsOf(heatmap).focus();
      key(cellsOf(heatmap), 'ArrowDown');
      await waitUntil(() => description().startsWith('**Row 3, column 3**'), 'description follows the cursor');

      // A class picked in the bars → `classIndex` → the linking cell sets the heatmap's class.
      const other = bar.rows.find((r) => r.classIndex !== top)!.classIndex;
      bar.shadowRoot!.querySelector<HTMLElement>(`[role="radio"][data-class="${other}"]`)!.click();
      await waitUntil(() => main.value('classIndex') === other, 'classIndex from the click');
      await waitUntil(() => heatmap.classIndex === other, 'the heatmap follows');
      key(cellsOf(heatmap), 'ArrowUp');
      await waitUntil(() => (main.value('cell') as CellEvidence).classIndex === other, 'cell of the new class');
      await waitUntil(() => description().includes(`for “${TINY_LABELS[other]}”`), 'description of the new class');
    } finally {
      main.dispose();
      container.remove();
    }
    await aTimeout(20);
    expect(modelCacheStats(), 'model released').to.deep.equal([]);
    expect(tf.memory().numTensors, 'no tensor leak').to.equal(baseline);
  });
});
