import { fileURLToPath } from 'node:url';

/** The bundled example `pullwatch run` replays when there is no cluster to watch (examples/README.md). */
export const DEMO_FILE = fileURLToPath(new URL('../../examples/demo-events.ndjson', import.meta.url));

export const DEMO_DESCRIPTION =
  'twenty recorded minutes of the fictional cluster acme-eu-1 (a missing tag, a private image, an expired registry certificate, a rate limit, a wrong platform, an invalid name, and a fix), played as fast as it can.';
