import { inspect } from 'node:util';

/**
 * A credential value that cannot leak by accident: string conversion, JSON and `util.inspect` (what loggers
 * and `console.log` use) all print `<secret>`. Only `reveal()` gives the value, at the one place that puts
 * it on the wire.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '<secret>';
  }

  toJSON(): string {
    return '<secret>';
  }

  [inspect.custom](): string {
    return '<secret>';
  }
}

/**
 * Second line of defence: every text that leaves the probe (evidence, errors) passes through `clean`, which
 * replaces any secret the probe has handled — and its Basic-auth encodings — with `<secret>`, in case a
 * server echoes one back in an error message.
 */
export class Redactor {
  readonly #values = new Set<string>();

  add(value: string | Secret | null | undefined): void {
    const text = value instanceof Secret ? value.reveal() : value;
    // Very short values would redact ordinary words; registry credentials and tokens are never that short.
    if (text && text.length >= 4) this.#values.add(text);
  }

  addBasic(username: string, password: Secret): void {
    this.add(password);
    this.add(Buffer.from(`${username}:${password.reveal()}`).toString('base64'));
  }

  clean(text: string): string {
    let out = text;
    for (const value of this.#values) out = out.split(value).join('<secret>');
    return out;
  }
}
