/**
 * The two ways a command ends badly: a usage error (exit code 2: the command line is wrong) and a
 * failure (exit code 1: the inputs or the environment are). Both print one line.
 */

/** The command line is wrong: unknown flag, missing argument, malformed value. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command could not do its job (unreadable file, undecodable image, ...). Exit code 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** A one-line description of a file-system error for `path`, e.g. `no such file`. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOTDIR':
      return 'a parent is not a directory';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EROFS':
      return 'read-only file system';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
