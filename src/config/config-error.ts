/**
 * The one error type of configuration problems. It lives apart from config.ts so the
 * modules that validate parts of the configuration (accounts, read routing, …) can
 * throw it without importing the resolver that imports them.
 *
 * Messages name the option and never quote a password (they end up in logs).
 */
export class ConfigError extends Error {}
