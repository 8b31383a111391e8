import { parseArgs } from 'node:util';
import { errorMessage, PullwatchError } from '../errors.ts';

/** `pullwatch run` options, parsed and checked; a usage error exits 2 with the usage text. */
export interface RunOptions {
  replay: string | null;
  kubeconfig: string | null;
  context: string | null;
  namespaces: string[];
  config: string | null;
  state: string;
  fresh: boolean;
  json: boolean;
  once: boolean;
}

export const DEFAULT_STATE_DIR = '.pullwatch';

export const RUN_USAGE = `usage: pullwatch run [options]

Watches the cluster of the current kubeconfig context for image pull failures and prints one alert per
problem (updates and resolutions as one-liners), with the cause checked against the registry and the fix.
With no reachable cluster it says why and replays the bundled example (examples/demo-events.ndjson).

  --replay FILE       replay an NDJSON file of envelopes or Kubernetes Events instead of watching ("-": stdin)
  --kubeconfig PATH   kubeconfig file (default: KUBECONFIG, then ~/.kube/config)
  --context NAME      kubeconfig context (default: the current one)
  --namespace NS      watch only this namespace (repeatable; default: all)
  --config FILE       settings file (default: pullwatch.yml in this directory, if present)
  --state PATH        state directory (default: ${DEFAULT_STATE_DIR})
  --fresh             forget the stored incidents first
  --json              one JSON object per alert on stdout instead of text
  --once              list what is failing now and exit (replays always end at the end of the file)
  -h, --help          this text

Also sends alerts to Slack when SLACK_BOT_TOKEN and a channel (routing settings or SLACK_CHANNEL) are set,
and to SNS when PULLWATCH_SNS_TOPIC_ARN is set. Exit status: 0 done (Ctrl-C or SIGTERM end a watch
cleanly), 1 a problem (unreadable input, invalid settings, an explicitly chosen cluster not reachable),
2 usage error.
`;

export class RunUsageError extends PullwatchError {
  override readonly name: string = 'RunUsageError';
}

export function parseRunArgs(args: readonly string[]): RunOptions | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(args);
  } catch (error) {
    throw new RunUsageError('usage', errorMessage(error), { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length > 0) {
    throw new RunUsageError('usage', `unexpected argument ${JSON.stringify(positionals[0])}`);
  }
  for (const name of ['replay', 'kubeconfig', 'context', 'config', 'state'] as const) {
    if (values[name] !== undefined && values[name].trim() === '') {
      throw new RunUsageError('usage', `--${name} needs a value`);
    }
  }
  const namespaces = values.namespace ?? [];
  for (const namespace of namespaces) {
    // A DNS-1123 label, as Kubernetes requires of namespace names.
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
      throw new RunUsageError('usage', `--namespace ${JSON.stringify(namespace)} is not a namespace name`);
    }
  }
  if (values.replay !== undefined && (values.kubeconfig !== undefined || values.context !== undefined)) {
    throw new RunUsageError('usage', '--replay reads a file: it does not take --kubeconfig or --context');
  }
  return {
    replay: values.replay ?? null,
    kubeconfig: values.kubeconfig ?? null,
    context: values.context ?? null,
    namespaces: [...new Set(namespaces)],
    config: values.config ?? null,
    state: values.state ?? DEFAULT_STATE_DIR,
    fresh: values.fresh ?? false,
    json: values.json ?? false,
    once: values.once ?? false,
  };
}

function parse(args: readonly string[]) {
  return parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
    options: {
      replay: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      namespace: { type: 'string', multiple: true },
      config: { type: 'string' },
      state: { type: 'string' },
      fresh: { type: 'boolean' },
      json: { type: 'boolean' },
      once: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
