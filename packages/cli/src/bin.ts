#!/usr/bin/env node
/**
 * The `bagnet` executable. Everything happens in {@link run}; this file only connects it to the
 * process (arguments, exit code).
 */
import { run } from './cli.js';

process.exitCode = await run(process.argv.slice(2));
