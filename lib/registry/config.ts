import { PullwatchError } from '../errors.ts';
import * as z from '../zod.ts';
import { parseAllowEntry } from './ssrf.ts';

/**
 * The `registry` section of pullwatch's settings. Credentials are references only — an environment
 * variable name, a Secrets Manager secret, or `ecr: true` — never a password in the file, so the config can
 * be committed and printed.
 */

const envVarName = z
  .string()
  .check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name (letters, digits, _)'));

/** Keys that would hold a secret in plain text: refused with a message that says what to use instead. */
const PLAINTEXT_KEYS = ['password', 'token', 'auth', 'identitytoken', 'secret', 'registrytoken'];
const CREDENTIAL_KEYS = [
  'username',
  'usernameEnv',
  'passwordEnv',
  'secretArn',
  'ecr',
  'region',
  'registryId',
];

export const credentialRefSchema = z
  .looseObject({
    /** The user name in clear (user names are not secret); or `usernameEnv`. */
    username: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    usernameEnv: z.optional(envVarName),
    /** Environment variable that holds the password or access token. */
    passwordEnv: z.optional(envVarName),
    /**
     * AWS Secrets Manager secret (ARN or name) whose string is `{"username","password"}` or a Docker config
     * (`{"auths":{"host":{"auth":"base64(user:pass)"}}}`, the `.dockerconfigjson` of a pull secret).
     */
    secretArn: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
    /** Amazon ECR: ask GetAuthorizationToken (with the process's AWS identity) for a 12-hour password. */
    ecr: z.optional(z.boolean()),
    /** ECR region; read from the registry host (`<account>.dkr.ecr.<region>.amazonaws.com`) when absent. */
    region: z.optional(
      z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region such as eu-west-1')),
    ),
    registryId: z.optional(z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'))),
  })
  .check(
    z.superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (PLAINTEXT_KEYS.includes(key.toLowerCase())) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message:
              'plaintext secrets are not read from config: use passwordEnv (an environment variable name), secretArn or ecr: true',
          });
        } else if (!CREDENTIAL_KEYS.includes(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `unknown key (expected one of ${CREDENTIAL_KEYS.join(', ')})`,
          });
        }
      }
      const kinds = [
        value.passwordEnv !== undefined,
        value.secretArn !== undefined,
        value.ecr === true,
      ].filter(Boolean);
      if (kinds.length !== 1) {
        ctx.addIssue({ code: 'custom', message: 'give exactly one of passwordEnv, secretArn or ecr: true' });
      }
      if (
        value.passwordEnv !== undefined &&
        value.username === undefined &&
        value.usernameEnv === undefined
      ) {
        ctx.addIssue({
          code: 'custom',
          path: ['username'],
          message: 'passwordEnv needs username or usernameEnv',
        });
      }
    }),
  );

export type CredentialRef = z.output<typeof credentialRefSchema>;

const hostKey = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(300),
    z.regex(/^[a-z0-9*[\]:.-]+$/i, 'must be a registry host[:port], optionally with * for one DNS label'),
  );

/** An integer within bounds, defaulted: `z.number().int().min(min).max(max).default(fallback)`. */
const boundedInt = (min: number, max: number, fallback: number) =>
  z._default(z.number().check(z.int(), z.gte(min), z.lte(max)), fallback);

const timeoutMs = (fallback: number) => boundedInt(10, 60_000, fallback);

export const registryConfigSchema = z.strictObject({
  /**
   * Hosts (`name`, `name:port`, `10.1.2.3:5000`, `[fd00::1]:5000`) and networks (`10.0.0.0/8`) the probe may
   * reach although they are loopback, private, CGNAT, unique-local or link-local. Empty: public only.
   */
  allowHosts: z._default(z.array(z.string().check(z.maxLength(300))).check(z.maxLength(256)), []).check(
    z.superRefine((entries, ctx) => {
      entries.forEach((entry, index) => {
        try {
          parseAllowEntry(entry);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: [index], message: (error as Error).message });
        }
      });
    }),
  ),
  /**
   * Registries the nodes reach over plain HTTP (containerd `hosts.toml` with an `http://` server, Docker's
   * insecure-registries), besides loopback, which runtimes always allow to fall back to HTTP.
   */
  plainHttpHosts: z._default(z.array(hostKey).check(z.maxLength(256)), []),
  /** Credentials per registry host (`registry.example.com`, `docker.io`, `*.dkr.ecr.*.amazonaws.com`). */
  credentials: z._default(z.record(hostKey, credentialRefSchema), {}),
  /** Use ECR GetAuthorizationToken for `*.dkr.ecr.*.amazonaws.com` hosts without a credentials entry. */
  ecrAutoDetect: z._default(z.boolean(), true),
  timeouts: z.prefault(
    z.strictObject({
      dnsMs: timeoutMs(2_000),
      connectMs: timeoutMs(2_000),
      tlsMs: timeoutMs(2_000),
      requestMs: timeoutMs(3_000),
    }),
    {},
  ),
  /** Whole-probe deadline; every step's timeout is cut to what is left of it. */
  deadlineMs: boundedInt(100, 120_000, 5_000),
  /** Cap on any response body read (manifests, tag pages, tokens, errors). */
  maxBodyBytes: boundedInt(1024, 16 * 1024 * 1024, 1024 * 1024),
  /** Tag list pages followed through `Link` before giving up (each page asks for `tagPageSize` tags). */
  maxTagPages: boundedInt(1, 50, 5),
  tagPageSize: boundedInt(1, 10_000, 1000),
  /** How long a secret read from Secrets Manager is reused. */
  secretCacheSeconds: boundedInt(0, 86_400, 300),
});

export type RegistryConfig = z.output<typeof registryConfigSchema>;
export type RegistryConfigInput = z.input<typeof registryConfigSchema>;

export class RegistryConfigError extends PullwatchError {
  override readonly name: string = 'RegistryConfigError';
}

/** Validates the registry section; the error names every offending field (`registry.credentials.x.password`). */
export function parseRegistryConfig(input: unknown = {}): RegistryConfig {
  const result = registryConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const detail = result.error.issues
    .slice(0, 8)
    .map((issue) => `registry.${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new RegistryConfigError('registry_config_invalid', `invalid registry config: ${detail}`, {
    cause: result.error,
  });
}
