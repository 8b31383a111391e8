import { en } from 'zod/locales';
import { config } from 'zod/mini';

/**
 * The zod every schema outside the forwarder uses: `zod/mini`, the functional API, with English messages.
 * Classic zod builds every method (toJSONSchema included) onto each schema at import, ~100 KB and ~40 ms of
 * each Lambda's cold start; mini keeps only what a schema uses. Mini registers no locale, so without this
 * every issue would read "Invalid input" instead of naming what was expected.
 */
config(en());

export * from 'zod/mini';
