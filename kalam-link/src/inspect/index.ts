/**
 * `@kalam/link/inspect` — `createInspector(link)`, a store of what a link is doing, for dev panels.
 * Its own entry point so that applications that show no panel do not ship it.
 *
 * @packageDocumentation
 */
export { createInspector } from './inspector.js';
export type { InspectableLink, Inspector, InspectorOptions, InspectorSnapshot, InspectorTransition, InspectorFrame } from './inspector.js';
