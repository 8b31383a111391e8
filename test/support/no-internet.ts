import dns from 'node:dns';

/**
 * Preloaded (`node --import`) into processes the tests spawn, so nothing they run can reach the internet:
 * every name but localhost fails to resolve, as it does on a machine without DNS. Registry probes of the
 * bundled example (docker.io included) then take the same honest "could not check from here" path
 * everywhere, whatever network the test machine has.
 */
const LOCAL = new Set(['localhost', 'localhost.localdomain']);

function notFound(hostname: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  error.code = 'ENOTFOUND';
  error.syscall = 'getaddrinfo';
  return error;
}

const lookupPromise = dns.promises.lookup.bind(dns.promises);
dns.promises.lookup = ((hostname: string, options?: unknown) => {
  if (LOCAL.has(hostname.toLowerCase())) return lookupPromise(hostname, options as dns.LookupAllOptions);
  return Promise.reject(notFound(hostname));
}) as typeof dns.promises.lookup;

const lookupCallback = dns.lookup;
dns.lookup = ((hostname: string, ...rest: unknown[]) => {
  const callback = rest.at(-1) as (error: NodeJS.ErrnoException | null) => void;
  if (LOCAL.has(hostname.toLowerCase()))
    return (lookupCallback as (...args: unknown[]) => void)(hostname, ...rest);
  process.nextTick(() => callback(notFound(hostname)));
}) as typeof dns.lookup;
