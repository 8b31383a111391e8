import http, { type IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { networkError, ProbeNetError, timeoutError } from './net.ts';

/**
 * HTTP/1.1 over connections the probe opened itself. The agent hands out the socket whose address the SSRF
 * guard checked (and whose certificate the probe judged); when the server closes it, the agent reconnects
 * to that same address — never through a new DNS lookup.
 */
export class PinnedAgent extends http.Agent {
  readonly #connect: () => Duplex;
  readonly #ready: Duplex[] = [];

  constructor(connect: () => Duplex, first?: Duplex) {
    super({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2, timeout: 30_000 });
    this.#connect = connect;
    if (first) this.#ready.push(first);
  }

  override createConnection(): Duplex {
    const socket = this.#ready.shift();
    if (socket && !socket.destroyed) return socket;
    return this.#connect();
  }
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** True when the body was longer than the cap and was cut (the connection is then dropped). */
  truncated: boolean;
  durationMs: number;
}

export interface HttpRequest {
  agent: http.Agent;
  /** The Host header value (name[:port] as the client would send it). */
  hostHeader: string;
  method: 'GET' | 'HEAD';
  path: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
}

/** One request, its status, headers and at most `maxBytes` of body, all within `timeoutMs`. */
export function httpRequest(request: HttpRequest, now: () => number = Date.now): Promise<HttpResponse> {
  const started = now();
  return new Promise<HttpResponse>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const req = http.request({
      agent: request.agent,
      // The agent connects to the pinned address; host/port here only shape the Host header and pool key.
      host: 'pinned.invalid',
      method: request.method,
      path: request.path,
      headers: { host: request.hostHeader, 'user-agent': 'pullwatch-probe/1', ...request.headers },
    });
    const timer = setTimeout(
      () => {
        finish(() => reject(timeoutError(`${request.method} ${request.path}`, request.timeoutMs)));
        req.destroy();
      },
      Math.max(0, request.timeoutMs),
    );
    req.once('error', (error) =>
      finish(() => reject(networkError(error, `${request.method} ${request.path}`))),
    );
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      const done = () =>
        finish(() =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            truncated,
            durationMs: now() - started,
          }),
        );
      res.on('data', (chunk: Buffer) => {
        if (truncated) return;
        const room = request.maxBytes - size;
        if (chunk.length > room) {
          chunks.push(chunk.subarray(0, room));
          size = request.maxBytes;
          truncated = true;
          res.destroy();
          done();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.once('end', done);
      res.once('error', (error) =>
        finish(() =>
          reject(
            new ProbeNetError('body_error', 'network_unreachable', `reading the response: ${error.message}`),
          ),
        ),
      );
      res.once('close', () => {
        if (!res.complete && !truncated) {
          finish(() =>
            reject(
              new ProbeNetError(
                'body_incomplete',
                'network_unreachable',
                'the connection closed mid-response',
              ),
            ),
          );
        }
      });
    });
    req.end();
  });
}
