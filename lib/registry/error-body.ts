/** The first entry of a registry error body (`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`). */
export interface RegistryErrorBody {
  code: string;
  message: string;
}

/** Reads a registry (distribution spec) error body; null when the body is not one. Never throws. */
export function parseRegistryError(body: Buffer | string | undefined): RegistryErrorBody | null {
  if (!body || body.length === 0) return null;
  try {
    const parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return null;
    const errors = (parsed as { errors?: unknown }).errors;
    const first = Array.isArray(errors) ? (errors[0] as Record<string, unknown> | undefined) : undefined;
    if (!first || typeof first.code !== 'string') {
      // Some token servers answer `{"details":"incorrect username or password"}` or `{"error":"…"}`.
      const detail = (parsed as Record<string, unknown>).details ?? (parsed as Record<string, unknown>).error;
      return typeof detail === 'string' ? { code: '', message: detail.slice(0, 300) } : null;
    }
    return {
      code: first.code.slice(0, 64),
      message: typeof first.message === 'string' ? first.message.slice(0, 300) : '',
    };
  } catch {
    return null;
  }
}
