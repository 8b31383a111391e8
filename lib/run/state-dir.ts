import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PullwatchError } from '../errors.ts';

/**
 * Where `pullwatch run` keeps its state: a directory (default `.pullwatch/`) holding the SQLite incident
 * store and the forwarder's checkpoint, so a restarted watch neither re-announces what it already told nor
 * forgets what is open. A replay is a story told from its file, not a continuation: it gets a store of its
 * own under `replay/`, emptied at each start, so replaying twice shows the same alerts twice.
 * `--fresh` removes only the files pullwatch itself writes here, never anything else in the directory.
 */
export interface StatePaths {
  dir: string;
  incidents: string;
  checkpoint: string;
}

export class StateDirError extends PullwatchError {
  override readonly name: string = 'StateDirError';
}

const SQLITE_SIDE_FILES = ['', '-wal', '-shm', '-journal'];

export function prepareState(dir: string, options: { replay: boolean; fresh: boolean }): StatePaths {
  try {
    mkdirSync(dir, { recursive: true });
    // Run from inside someone's repository, the state must not end up in their commits.
    const ignore = join(dir, '.gitignore');
    if (!existsSync(ignore)) writeFileSync(ignore, '# pullwatch run state (safe to delete)\n*\n');
    if (options.replay) {
      const replayDir = join(dir, 'replay');
      rmSync(replayDir, { recursive: true, force: true });
      mkdirSync(replayDir, { recursive: true });
      return {
        dir: replayDir,
        incidents: join(replayDir, 'incidents.db'),
        checkpoint: join(replayDir, 'checkpoint.json'),
      };
    }
    const paths = { dir, incidents: join(dir, 'incidents.db'), checkpoint: join(dir, 'checkpoint.json') };
    if (options.fresh) {
      for (const side of SQLITE_SIDE_FILES) rmSync(`${paths.incidents}${side}`, { force: true });
      rmSync(paths.checkpoint, { force: true });
    }
    return paths;
  } catch (cause) {
    throw new StateDirError('state_dir', `cannot use ${dir} for state: ${(cause as Error).message}`, {
      cause,
    });
  }
}
