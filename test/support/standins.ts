import http, { type IncomingHttpHeaders } from 'node:http';
import net, { type AddressInfo } from 'node:net';

/**
 * Small servers the registry tests start on 127.0.0.1: a fault-injecting proxy in front of the real
 * registry (5xx, 429, redirects, paginated tag lists — what distribution 2.8 itself never answers), a socket
 * that accepts and never answers, a listener that counts connections (to prove the SSRF guard refused
 * before connecting), and an AWS JSON-protocol stand-in for ECR and Secrets Manager.
 */

export interface Fault {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface ProxyRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export type FaultRule = (request: ProxyRequest, upstream: Upstream) => Promise<Fault | null> | Fault | null;

export interface Upstream {
  get(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>;
}

export interface RunningServer {
  port: number;
  host: string;
  url: string;
  requests: ProxyRequest[];
  stop(): Promise<void>;
}

function listen(server: http.Server | net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function forward(
  target: URL,
  request: { method: string; path: string; headers: IncomingHttpHeaders; body?: Buffer },
) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, host: target.host },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** A proxy in front of `upstream` (the real registry); `rule` may answer instead of it. */
export async function startFaultProxy(upstream: string, rule: FaultRule): Promise<RunningServer> {
  const target = new URL(upstream);
  const requests: ProxyRequest[] = [];
  const up: Upstream = {
    get: async (path, headers = {}) => {
      const res = await forward(target, { method: 'GET', path, headers });
      return { status: res.status, headers: res.headers, body: res.body.toString('utf8') };
    },
  };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
    requests.push(request);
    try {
      const fault = await rule(request, up);
      if (fault) {
        res.writeHead(fault.status, fault.headers ?? {});
        res.end(req.method === 'HEAD' ? undefined : fault.body);
        return;
      }
      const answer = await forward(target, { ...request, body: Buffer.concat(chunks) });
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      res.writeHead(answer.status, headers);
      res.end(answer.body);
    } catch (error) {
      res.writeHead(502);
      res.end(String(error));
    }
  });
  const port = await listen(server);
  return {
    port,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fault rule serving the upstream tag list in pages of `size` with `Link: <…>; rel="next"`. */
export function paginateTags(size: number): FaultRule {
  return async (request, upstream) => {
    const url = new URL(request.path, 'http://proxy.local');
    if (request.method !== 'GET' || !url.pathname.endsWith('/tags/list')) return null;
    const full = await upstream.get(
      url.pathname,
      request.headers.authorization ? { authorization: request.headers.authorization } : {},
    );
    if (full.status !== 200)
      return { status: full.status, headers: { 'content-type': 'application/json' }, body: full.body };
    const body = JSON.parse(full.body) as { name: string; tags: string[] };
    const sorted = [...body.tags].sort();
    const last = url.searchParams.get('last');
    const start = last ? sorted.findIndex((tag) => tag > last) : 0;
    const page = start < 0 ? [] : sorted.slice(start, start + size);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const lastTag = page[page.length - 1];
    if (start >= 0 && start + size < sorted.length && lastTag) {
      headers.link = `<${url.pathname}?n=${size}&last=${encodeURIComponent(lastTag)}>; rel="next"`;
    }
    return { status: 200, headers, body: JSON.stringify({ name: body.name, tags: page }) };
  };
}

/** Accepts TCP connections and never writes a byte. */
export async function startBlackhole(): Promise<RunningServer & { connections: number }> {
  const sockets = new Set<net.Socket>();
  const state = { connections: 0 };
  const server = net.createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests: [],
    get connections() {
      return state.connections;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that is certainly closed: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface AwsCall {
  target: string;
  body: Record<string, unknown>;
  signed: boolean;
}

/**
 * The AWS JSON 1.1 protocol as ECR and Secrets Manager speak it: POST / with `X-Amz-Target`, JSON in and out,
 * errors as `{"__type": "…", "message": "…"}` with status 400. The SDK under test talks to it through its
 * `endpoint` option, signing requests as usual.
 */
export async function startAwsStandIn(
  handlers: Record<string, (body: Record<string, unknown>) => { status?: number; body: unknown }>,
): Promise<RunningServer & { calls: AwsCall[] }> {
  const calls: AwsCall[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      body = {};
    }
    calls.push({
      target,
      body,
      signed: String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'),
    });
    const handler = handlers[target];
    const answer = handler
      ? handler(body)
      : { status: 400, body: { __type: 'UnknownOperationException', message: `no handler for ${target}` } };
    res.writeHead(answer.status ?? 200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(answer.body));
  });
  const port = await listen(server);
  return {
    port,
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    requests: [],
    calls,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * An SSM stand-in holding SecureString parameters: `GetParameters` answers the names it knows and lists the
 * others as `InvalidParameters`, as SSM does.
 */
export function startSsmStandIn(
  values: Record<string, string>,
): Promise<RunningServer & { calls: AwsCall[] }> {
  return startAwsStandIn({
    'AmazonSSM.GetParameters': (body) => {
      const names = (body.Names as string[]) ?? [];
      return {
        body: {
          Parameters: names
            .filter((name) => values[name] !== undefined)
            .map((name) => ({ Name: name, Type: 'SecureString', Value: values[name], Version: 1 })),
          InvalidParameters: names.filter((name) => values[name] === undefined),
        },
      };
    },
  });
}
