/**
 * Where a command writes: results on stdout, progress and errors on stderr. Injected so tests can
 * run commands in-process and capture both.
 */

/** `text` broken into lines of at most `width` characters at spaces (for help texts). */
export function wrap(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line].join('\n');
}

/** `seconds` in words for an ETA: `12 s`, `4 min 35 s`, `3 h 05 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The streams of one command run. */
export interface CliIO {
  /** Results (tables, summaries). */
  readonly stdout: (text: string) => void;
  /** Progress and errors. */
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal: progress then redraws one line in place. */
  readonly interactive: boolean;
}

/** The process's own streams. */
export function processIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    interactive: process.stderr.isTTY === true,
  };
}

/**
 * Progress reporting on stderr. On a terminal a step's percentage redraws in place; otherwise
 * (logs, pipes) a step prints one line when it starts and at every quarter.
 */
export class Progress {
  readonly #io: CliIO;
  readonly #quiet: boolean;
  #open: { label: string; shown: number } | undefined;

  constructor(io: CliIO, quiet: boolean) {
    this.#io = io;
    this.#quiet = quiet;
  }

  /** A one-line note (ends any open step). */
  note(text: string): void {
    if (this.#quiet) return;
    this.done();
    this.#io.stderr(`${text}\n`);
  }

  /** Reports `fraction` (0–1) of the step `label`. */
  step(label: string, fraction: number): void {
    if (this.#quiet) return;
    const pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    if (this.#open?.label !== label) {
      this.done();
      this.#open = { label, shown: -1 };
    }
    const open = this.#open!;
    if (this.#io.interactive) {
      if (pct !== open.shown) this.#io.stderr(`\r${label} ${pct}%`);
      open.shown = pct;
    } else {
      const quarter = Math.floor(pct / 25) * 25;
      if (quarter > open.shown) {
        this.#io.stderr(`${label} ${quarter}%\n`);
        open.shown = quarter;
      }
    }
  }

  /**
   * A bar for counted work: `label [######----] done/total unit · rate unit/s · ETA`. On a
   * terminal it redraws in place (at most every 100 ms); in logs it prints a line per tenth.
   * `perSecond` is the rate measured so far (undefined before there is one).
   */
  count(label: string, done: number, total: number, perSecond: number | undefined, unit: string): void {
    if (this.#quiet) return;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    if (this.#open?.label !== label) {
      this.done();
      this.#open = { label, shown: -1 };
    }
    const open = this.#open!;
    const width = 24;
    const filled = Math.round(fraction * width);
    const rate =
      perSecond === undefined ? '' : ` · ${perSecond < 10 ? perSecond.toFixed(2) : perSecond.toFixed(1)} ${unit}/s`;
    const eta =
      perSecond === undefined || perSecond <= 0 || done >= total
        ? ''
        : ` · ETA ${formatDuration((total - done) / perSecond)}`;
    const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${unit}${rate}${eta}`;
    if (this.#io.interactive) {
      const now = Date.now();
      if (now - open.shown >= 100 || done >= total) {
        this.#io.stderr(`\r${line}\u001b[K`);
        open.shown = now;
      }
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth > open.shown) {
        this.#io.stderr(`${line}\n`);
        open.shown = tenth;
      }
    }
  }

  /** Ends the open step, if any. */
  done(): void {
    if (this.#open === undefined) return;
    if (this.#io.interactive) this.#io.stderr('\n');
    this.#open = undefined;
  }
}
