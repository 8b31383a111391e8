import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/**
 * /healthz (the process serves requests), /readyz (every cache and event watch has listed once) and
 * /metrics (Prometheus text). Probes hit the pod IP, so the Deployment sets PULLWATCH_HTTP_HOST=0.0.0.0;
 * the default stays on loopback for runs outside a cluster.
 */
export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(options: {
  host: string;
  port: number;
  registry: Registry;
  isReady: () => boolean;
  isHealthy?: () => boolean;
}): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const text = (status: number, body: string) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    };
    if (path === '/healthz') {
      const healthy = options.isHealthy?.() ?? true;
      return text(healthy ? 200 : 503, healthy ? 'ok\n' : 'unhealthy\n');
    }
    if (path === '/readyz') {
      const ready = options.isReady();
      return text(ready ? 200 : 503, ready ? 'ready\n' : 'not ready: caches not synced\n');
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (body) => {
          response.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
        },
        () => text(500, 'metrics unavailable\n'),
      );
      return;
    }
    text(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
