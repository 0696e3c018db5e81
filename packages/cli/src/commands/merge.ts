/**
 * `bagnet merge part*.json --out mined.json`: joins the shards of one `bagnet mine` run into the
 * file a single unsharded run writes (core's mergeMinedPatches checks that they are all the
 * shards of one run, each complete).
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';

import { mergeMinedPatches, parseMinedPatches } from '@bagnet-vis/core';

import { parseCommandLine } from '../args.js';
import type { Command } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { checkWritable, readInput, writeFileAtomic } from '../files.js';

const HELP = `Usage: bagnet merge <part.json…> --out <mined.json>

Joins the shards written by 'bagnet mine --shard i/n' (all n of them, each complete)
into one mined-patches file, equal to what one unsharded run writes. Refuses parts of
different runs (model, image list, preprocessing, classes, --top), a missing or
repeated shard and an unfinished one (run that shard again: it resumes).

Options:
  --out <file>          the merged mined-patches JSON (written atomically)
  --force               overwrite --out if it exists
  -q, --quiet           no progress on stderr
  -h, --help            this help

Example:
  bagnet merge part-0.json part-1.json part-2.json part-3.json --out mined.json`;

export const mergeCommand: Command = {
  name: 'merge',
  summary: "join 'bagnet mine --shard' parts into the unsharded result",
  help: HELP,
  async run(argv, { io, progress }) {
    const { values, positionals: parts } = parseCommandLine({
      args: [...argv],
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        force: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
      },
    });
    if (parts.length === 0) throw new UsageError('Missing <part.json…>');
    if (values.out === undefined) throw new UsageError('Missing --out <mined.json>');
    await checkWritable(values.out, '--out');
    if (values.force !== true && existsSync(values.out)) {
      throw new CliError(`--out '${values.out}' exists; pass --force to overwrite it.`);
    }
    const files = [];
    for (const part of parts) {
      const text = new TextDecoder().decode(await readInput(part, 'part'));
      files.push(parseMinedPatches(text, part));
    }
    let merged;
    try {
      merged = mergeMinedPatches(
        files,
        parts.map((p) => basename(p)),
      );
    } catch (e) {
      throw new CliError(e instanceof Error ? e.message : String(e), { cause: e });
    }
    await writeFileAtomic(values.out, `${JSON.stringify(merged)}\n`);
    progress.note(`wrote ${values.out}`);
    io.stdout(
      `${values.out}: ${merged.done} images from ${parts.length} parts, ${merged.results.length} classes, top ${merged.run.k}\n`,
    );
  },
};
