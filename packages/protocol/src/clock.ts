/**
 * The engines' only source of time (presence heartbeats and migration, mesh timeouts, backpressure
 * polling and retries). A platform seam, not wire format: it lives here, in the lowest package, so
 * every engine shares one definition. Inject a manual clock (`createManualClock` from
 * `@kibitz/presence`) to run on fake time.
 */
export type TimerHandle = unknown

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  setInterval(fn: () => void, ms: number): TimerHandle
  clearInterval(handle: TimerHandle): void
  /**
   * Optional: a manual clock learns about asynchronous work the engine starts (WebCrypto sealing
   * and opening resolve after a varying number of event-loop turns), so `advance()` can wait for
   * it before firing the next timer and a seed replays the same schedule.
   */
  track?<T>(work: Promise<T>): Promise<T>
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
  clearInterval: (h) => globalThis.clearInterval(h as ReturnType<typeof setInterval>),
}

/**
 * Let a timer not keep a Node process alive on its own (Node's `unref`). Nothing happens to handles
 * without one: browsers' numbers, manual clocks' handles.
 */
export function unrefTimer(handle: TimerHandle): void {
  ;(handle as { unref?: () => void } | null)?.unref?.()
}
