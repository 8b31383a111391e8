import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import { type Classification, type ClassifyInput, classify } from '../classify/index.ts';
import type { CliIo, Command } from './commands.ts';

export const HELP = `usage: pullwatch classify [--json] [MESSAGE…]

Classifies Kubernetes image-pull event messages: the cause (tag_not_found, unauthorized, dns, …), its
category, the kubelet waiting reason, the image (canonical) and registry, and the text that decided it.

With no MESSAGE, reads one message per line from stdin. A line that is a JSON object with a
"message" (or "note") field and optionally "reason" — a Kubernetes Event, or a row of the pull-failure
corpus — is read as that event.

options:
  --json      one JSON object per message: cause, category, reason, kind, image, registry,
              imageText, evidence, confidence, rule
  -h, --help  this help

examples:
  pullwatch classify 'Failed to pull image "nginx:1.99": … docker.io/library/nginx:1.99: not found'
  kubectl get events -A -o json | jq -c '.items[]' | pullwatch classify --json
`;

interface Options {
  json: boolean;
  messages: string[];
}

function parseArgs(args: readonly string[]): Options | { error: string } | 'help' {
  const options: Options = { json: false, messages: [] };
  let positional = false;
  for (const arg of args) {
    if (positional || !arg.startsWith('-') || arg === '-') {
      options.messages.push(arg);
    } else if (arg === '--') {
      positional = true;
    } else if (arg === '--json') {
      options.json = true;
    } else if (arg === '-h' || arg === '--help') {
      return 'help';
    } else {
      return { error: `unknown option ${arg}` };
    }
  }
  return options;
}

/** A stdin line: a JSON event/corpus row when it parses as one, the message itself otherwise. */
export function inputFromLine(line: string): ClassifyInput {
  const text = line.trim();
  if (text.startsWith('{')) {
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        const record = value as Record<string, unknown>;
        const message = typeof record.message === 'string' ? record.message : record.note;
        if (typeof message === 'string') {
          return {
            message,
            reason: typeof record.reason === 'string' ? record.reason : null,
            type: typeof record.type === 'string' ? record.type : null,
          };
        }
      }
    } catch {
      // Not JSON after all: a message that happens to start with a brace.
    }
  }
  return { message: line };
}

export function formatJson(result: Classification): string {
  const { cause, category, reason, kind, image, registry, imageText, evidence, confidence, rule } = result;
  return JSON.stringify({
    cause,
    category,
    reason,
    kind,
    image,
    registry,
    imageText,
    evidence,
    confidence,
    rule,
  });
}

export function formatHuman(result: Classification): string {
  const parts = [`${result.cause} (${result.category})`, result.kind];
  if (result.reason) parts.push(result.reason);
  const image = result.image ?? result.imageText;
  if (image) parts.push(image);
  const line = parts.join('  ');
  return result.evidence ? `${line}  — ${result.evidence}` : line;
}

async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}

export const command: Command = {
  async run(args: string[], io: CliIo): Promise<number> {
    const options = parseArgs(args);
    if (options === 'help') {
      await write(io.stdout, HELP);
      return 0;
    }
    if ('error' in options) {
      await write(io.stderr, `pullwatch classify: ${options.error}\n\n${HELP}`);
      return 2;
    }
    const format = options.json ? formatJson : formatHuman;
    const emit = (input: ClassifyInput) => write(io.stdout, `${format(classify(input))}\n`);

    if (options.messages.length > 0) {
      for (const message of options.messages) await emit({ message });
      return 0;
    }
    if ((io.stdin as { isTTY?: boolean }).isTTY) {
      await write(io.stderr, 'pullwatch classify: reading messages from stdin, one per line (Ctrl-D ends)\n');
    }
    const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      await emit(inputFromLine(line));
    }
    return 0;
  },
};
