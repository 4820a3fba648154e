/**
 * The reference server's engine: storage, SQL, users and the change feed (see ./types.ts).
 *
 * @packageDocumentation
 */
export { openEngine } from './engine.js';
export type * from './types.js';
