/**
 * A bounded least-recently-used map (a `Map` kept in use order): the caches of parsed statements,
 * live-query plans and verified tokens share it.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>();

  constructor(readonly capacity: number) {}

  /** The value for `key`, marking it most recently used. */
  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, value);
    return value;
  }

  /** Store `value`, evicting the least recently used entry beyond capacity. */
  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.capacity) this.#map.delete(this.#map.keys().next().value as K);
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
