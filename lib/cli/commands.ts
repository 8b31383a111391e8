import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

/** A subcommand: parses its own arguments and returns the process exit code (2 = usage error). */
export interface Command {
  run(args: string[], io: CliIo): Promise<number>;
}

interface CommandEntry {
  summary: string;
  /** Loaded lazily so `pullwatch classify` does not pay for the SDKs that `run` needs. */
  load: () => Promise<Command>;
}

export const commands: Record<string, CommandEntry> = {
  classify: {
    summary: 'classify image-pull event messages (cause, reason, image, evidence)',
    load: async () => (await import('./classify.ts')).command,
  },
  diagnose: {
    summary: 'check an image against its registry, step by step, and print the verdict and the fix',
    load: async () => (await import('./diagnose.ts')).diagnoseCommand,
  },
  replay: {
    summary: 'replay an NDJSON file of events through grouping and the notification policy',
    load: async () => (await import('./replay.ts')).command,
  },
  run: {
    summary:
      'watch the current kubeconfig cluster (or replay a file, or the bundled example) and print alerts',
    load: async () => (await import('./run.ts')).command,
  },
};

export function usage(): string {
  const names = Object.keys(commands).sort();
  const width = Math.max(0, ...names.map((name) => name.length));
  return [
    'usage: pullwatch <command> [options]',
    '',
    'commands:',
    ...names.map((name) => `  ${name.padEnd(width)}  ${commands[name]?.summary ?? ''}`),
    '',
    'Run `pullwatch <command> --help` for the options of one command.',
    '',
  ].join('\n');
}
