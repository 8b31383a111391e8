import type { AddressInfo } from 'node:net';
// dynalite ships no types; its one export is a factory returning a node:http server.
// @ts-expect-error untyped CommonJS module
import dynalite from 'dynalite';

/**
 * A real DynamoDB API (dynalite: DynamoDB's wire protocol on an in-memory LevelDB) on 127.0.0.1 with a free
 * port, for the tests that start it in beforeAll and stop it in afterAll.
 */
export interface Dynalite {
  endpoint: string;
  /** Any credentials work, but requests must be signed, so clients need some. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  }) as import('node:http').Server;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    region: 'us-east-1',
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
