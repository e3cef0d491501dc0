/**
 * What the command line needs to know about `--observe` without loading the dashboard (the
 * server, its page and sampler are imported only by runs that ask for them).
 */

/** The dashboard's default port (`--observe` without a value). */
export const DEFAULT_OBSERVE_PORT = 4000;

/** The dashboard could not start (its port is taken…): reported as `Error: …`, exit 1. */
export class ObserveError extends Error {}
