/**
 * `@kalam/link` — the Kalam Live protocol core.
 *
 * @packageDocumentation
 */
export * from './protocol/index.js';
