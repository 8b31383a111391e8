import { createSign, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyPair } from './certs.ts';

/**
 * A registry token service (the Docker token auth spec) for distribution's `auth.token`: answers
 * `GET /token?service=…&scope=repository:NAME:ACTIONS` with a JWT signed RS256 and carrying the signing
 * certificate in `x5c`, which the registry verifies against its rootcertbundle. Users are checked with Basic
 * auth; what a token grants is the intersection of the asked actions and the user's permissions.
 */

export interface TokenUser {
  password: string;
  /** Actions per repository (`*` for every repository). */
  access: Record<string, string[]>;
}

export interface TokenServerOptions {
  service: string;
  issuer: string;
  signer: KeyPair;
  users: Record<string, TokenUser>;
  /** Anonymous requests: refused (401), or granted these per-repository actions. */
  anonymous: 'deny' | Record<string, string[]>;
  expiresIn?: number;
}

export interface RunningTokenServer {
  realm: string;
  port: number;
  /** Every request seen (path and query, whether it carried credentials), for cache assertions. */
  requests: Array<{ path: string; user: string | null }>;
  /** Every token issued, so tests can assert none of them leaks into evidence. */
  issued: string[];
  /** Changes how anonymous requests are answered from now on. */
  setAnonymous(mode: TokenServerOptions['anonymous']): void;
  /** Mints a token directly (e.g. with push rights for the test's own uploads). */
  mint(subject: string, access: Array<{ type: string; name: string; actions: string[] }>): string;
  stop(): Promise<void>;
}

function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString('base64url');
}

export async function startTokenServer(options: TokenServerOptions): Promise<RunningTokenServer> {
  const key = readFileSync(options.signer.keyPath, 'utf8');
  const der = new X509Certificate(options.signer.cert).raw.toString('base64');
  const requests: RunningTokenServer['requests'] = [];
  const issued: string[] = [];
  let anonymous = options.anonymous;
  const expiresIn = options.expiresIn ?? 300;

  const mint = (subject: string, access: Array<{ type: string; name: string; actions: string[] }>) => {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [der] };
    const claims = {
      iss: options.issuer,
      sub: subject,
      aud: options.service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: `${now}-${Math.random().toString(36).slice(2)}`,
      access,
    };
    const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(unsigned).sign(key);
    const token = `${unsigned}.${base64url(signature)}`;
    issued.push(token);
    return token;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token.local');
    let user: string | null = null;
    let granted: Record<string, string[]> | null = null;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Basic ')) {
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const name = decoded.slice(0, colon);
      const entry = options.users[name];
      if (!entry || entry.password !== decoded.slice(colon + 1)) {
        requests.push({ path: `${url.pathname}${url.search}`, user: name });
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' });
        res.end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      user = name;
      granted = entry.access;
    } else if (anonymous !== 'deny') {
      granted = anonymous;
    }
    requests.push({ path: `${url.pathname}${url.search}`, user });
    if (url.pathname !== '/token' || url.searchParams.get('service') !== options.service) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ details: 'unknown service' }));
      return;
    }
    if (!granted) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="token"' });
      res.end(JSON.stringify({ details: 'authentication required' }));
      return;
    }
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type = '', name = '', actions = ''] = scope.split(':');
      const allowed = granted?.[name] ?? granted?.['*'] ?? [];
      const actionsGranted = actions.split(',').filter((action) => allowed.includes(action));
      return type === 'repository' && actionsGranted.length > 0
        ? [{ type, name, actions: actionsGranted }]
        : [];
    });
    const token = mint(user ?? 'anonymous', access);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: new Date().toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    port,
    requests,
    issued,
    setAnonymous: (mode) => {
      anonymous = mode;
    },
    mint,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
