/**
 * A tiny typed emitter shared by the engines (a platform helper, like `clock.ts`): `on` returns
 * its own unsubscribe function; listener errors are isolated (logged, never thrown into the engine).
 */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>()

  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (!set) this.#listeners.set(event, (set = new Set()))
    set.add(listener as (payload: never) => void)
    return () => void set.delete(listener as (payload: never) => void)
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event)
    if (!set) return
    for (const listener of [...set]) {
      try {
        ;(listener as (p: Events[K]) => void)(payload)
      } catch (error) {
        // A broken listener must not break the engine or the other listeners.
        console.error('[kibitz] event listener threw', error)
      }
    }
  }

  clear(): void {
    this.#listeners.clear()
  }
}
