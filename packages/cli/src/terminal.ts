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

  /** Ends the open step, if any. */
  done(): void {
    if (this.#open === undefined) return;
    if (this.#io.interactive) this.#io.stderr('\n');
    this.#open = undefined;
  }
}
