import { errorMessage } from '../errors.ts';
import { parseRunArgs, RUN_USAGE, type RunOptions } from '../run/options.ts';
import type { CliIo, Command } from './commands.ts';

/**
 * `pullwatch run` (what `npm start` runs): parses the options, turns Ctrl-C and SIGTERM into a clean stop
 * (a second Ctrl-C exits at once), and hands over to lib/run/run.ts.
 */
export const command: Command = {
  async run(args: string[], io: CliIo): Promise<number> {
    let options: RunOptions | 'help';
    try {
      options = parseRunArgs(args);
    } catch (error) {
      io.stderr.write(`pullwatch run: ${errorMessage(error)}\n\n${RUN_USAGE}`);
      return 2;
    }
    if (options === 'help') {
      io.stdout.write(RUN_USAGE);
      return 0;
    }
    const stop = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      if (stop.signal.aborted) {
        io.stderr.write(`pullwatch run: ${signal} again, exiting now\n`);
        process.exit(130);
      }
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      // Loaded here so `pullwatch run --help` and usage errors answer without loading the pipeline.
      const { runPullwatch } = await import('../run/run.ts');
      return await runPullwatch(options, {
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
        env: process.env,
        signal: stop.signal,
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};
