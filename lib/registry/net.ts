import { promises as dns } from 'node:dns';
import net from 'node:net';
import tls, { type PeerCertificate, type SecureContext, type TLSSocket } from 'node:tls';
import type { Cause } from '../classify/causes.ts';
import { PullwatchError } from '../errors.ts';

/**
 * Low-level network steps of the probe, each bounded by a timeout and each failing with a ProbeNetError
 * that carries the cause id it implies. Kept on node:net/tls so the probe sees (and records) what a
 * higher-level client would hide: which address answered, how the handshake failed, which certificate.
 */

export class ProbeNetError extends PullwatchError {
  override readonly name: string = 'ProbeNetError';
  readonly probeCause: Cause;

  constructor(code: string, probeCause: Cause, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.probeCause = probeCause;
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

/** getaddrinfo, as the container runtime resolves (hosts file, search domains, resolv.conf). */
export const systemResolver: Resolver = async (host) => {
  const answers = await dns.lookup(host, { all: true, verbatim: true });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
};

const NETWORK_CAUSES: Record<string, { cause: Cause; text: string }> = {
  ENOTFOUND: { cause: 'dns', text: 'no such host' },
  EAI_NONAME: { cause: 'dns', text: 'no such host' },
  EAI_NODATA: { cause: 'dns', text: 'no address for host' },
  EAI_AGAIN: { cause: 'dns', text: 'temporary DNS failure' },
  EAI_FAIL: { cause: 'dns', text: 'DNS server failure' },
  ESERVFAIL: { cause: 'dns', text: 'DNS server failure' },
  ECONNREFUSED: { cause: 'connection_refused', text: 'connection refused' },
  ETIMEDOUT: { cause: 'timeout', text: 'timed out' },
  ENETUNREACH: { cause: 'network_unreachable', text: 'network is unreachable' },
  EHOSTUNREACH: { cause: 'network_unreachable', text: 'no route to host' },
  ENETDOWN: { cause: 'network_unreachable', text: 'network is down' },
  EHOSTDOWN: { cause: 'network_unreachable', text: 'host is down' },
  EADDRNOTAVAIL: { cause: 'network_unreachable', text: 'address not available' },
  // A reset or hang-up before any HTTP answer: a firewall or middlebox cutting the connection.
  ECONNRESET: { cause: 'network_unreachable', text: 'connection reset by peer' },
  EPIPE: { cause: 'network_unreachable', text: 'connection closed by peer' },
};

/** Turns a Node network error into a ProbeNetError with the cause it implies. */
export function networkError(error: unknown, what: string): ProbeNetError {
  if (error instanceof ProbeNetError) return error;
  const code = (error as { code?: string } | null)?.code ?? '';
  const known = NETWORK_CAUSES[code];
  const message = error instanceof Error ? error.message : String(error);
  if (known)
    return new ProbeNetError(code.toLowerCase(), known.cause, `${what}: ${known.text} (${code})`, {
      cause: error,
    });
  return new ProbeNetError('network_error', 'unknown', `${what}: ${message}`, { cause: error });
}

export function timeoutError(what: string, ms: number): ProbeNetError {
  return new ProbeNetError('timeout', 'timeout', `${what}: no answer within ${ms} ms`);
}

/** Races a promise against a timer; `onTimeout` releases whatever the promise holds (a socket). */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        onTimeout?.();
        reject(timeoutError(what, ms));
      },
      Math.max(0, ms),
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function resolveHost(
  resolver: Resolver,
  host: string,
  timeoutMs: number,
): Promise<ResolvedAddress[]> {
  if (net.isIP(host)) return [{ address: host, family: net.isIPv6(host) ? 6 : 4 }];
  try {
    const answers = await withTimeout(resolver(host), timeoutMs, `resolving ${host}`);
    if (answers.length === 0)
      throw new ProbeNetError('enodata', 'dns', `resolving ${host}: no address for host`);
    return answers;
  } catch (error) {
    throw networkError(error, `resolving ${host}`);
  }
}

/** A TCP connection to exactly this address (never a name: the address is the one the guard checked). */
export function connectTcp(address: string, port: number, timeoutMs: number): Promise<net.Socket> {
  const socket = net.connect({ host: address, port, noDelay: true });
  const connected = new Promise<net.Socket>((resolve, reject) => {
    socket.once('connect', () => {
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(networkError(error, `connecting to ${formatAddress(address, port)}`));
    });
  });
  return withTimeout(connected, timeoutMs, `connecting to ${formatAddress(address, port)}`, () =>
    socket.destroy(),
  );
}

export function formatAddress(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  altNames: string;
  validFrom: string;
  validTo: string;
  selfSigned: boolean;
}

export interface TlsResult {
  socket: TLSSocket;
  protocol: string | null;
  certificate: CertificateInfo | null;
  /** Why the certificate is not trusted for this host (chain, dates or name); null when it is. */
  problem: { code: string; message: string } | null;
}

function certificateInfo(cert: PeerCertificate | undefined): CertificateInfo | null {
  if (!cert || Object.keys(cert).length === 0) return null;
  const name = (entry: Record<string, string | string[] | undefined> | undefined) =>
    entry
      ? Object.entries(entry)
          .map(([key, value]) => `${key}=${String(value)}`)
          .join(', ')
      : '';
  const subject = name(cert.subject as unknown as Record<string, string>);
  const issuer = name(cert.issuer as unknown as Record<string, string>);
  return {
    subject,
    issuer,
    altNames: cert.subjectaltname ?? '',
    validFrom: new Date(cert.valid_from).toISOString(),
    validTo: new Date(cert.valid_to).toISOString(),
    selfSigned: subject === issuer,
  };
}

/**
 * Runs the TLS handshake on a connected socket without trusting it yet: the chain and the host name are
 * checked here, after the handshake, so the evidence can name the certificate that failed. Nothing is sent
 * on a socket whose `problem` is set.
 */
export function handshakeTls(
  socket: net.Socket,
  host: string,
  secureContext: SecureContext,
  timeoutMs: number,
): Promise<TlsResult> {
  const secure = tls.connect({
    socket,
    // SNI carries names only (RFC 6066); an IP host is verified against the certificate's IP SANs.
    servername: net.isIP(host) ? undefined : host,
    secureContext,
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
  });
  const done = new Promise<TlsResult>((resolve, reject) => {
    secure.once('secureConnect', () => {
      secure.removeAllListeners('error');
      const cert = secure.getPeerCertificate();
      let problem: TlsResult['problem'] = null;
      if (!secure.authorized) {
        const error = secure.authorizationError as unknown as Error & { code?: string };
        const code = typeof error === 'string' ? error : (error?.code ?? String(error));
        problem = { code, message: typeof error === 'string' ? error : (error?.message ?? code) };
      } else {
        const mismatch = tls.checkServerIdentity(host, cert);
        if (mismatch) problem = { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: mismatch.message };
      }
      resolve({
        socket: secure,
        protocol: secure.getProtocol(),
        certificate: certificateInfo(cert),
        problem,
      });
    });
    secure.once('error', (error) => {
      secure.destroy();
      reject(error);
    });
  });
  return withTimeout(done, timeoutMs, `TLS handshake with ${host}`, () => secure.destroy());
}

/** A fresh pinned TLS connection, trusted strictly (used after the first handshake was already judged). */
export function connectTlsStrict(
  address: string,
  port: number,
  host: string,
  secureContext: SecureContext,
): TLSSocket {
  return tls.connect({
    host: address,
    port,
    servername: net.isIP(host) ? undefined : host,
    secureContext,
    rejectUnauthorized: true,
    checkServerIdentity: (_name, cert) => tls.checkServerIdentity(host, cert),
    ALPNProtocols: ['http/1.1'],
  });
}
