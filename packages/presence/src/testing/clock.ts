import type { Clock, TimerHandle } from '@kibitz/protocol'

/**
 * A clock that only moves when told to. Timers fire in due-time order (ties in the order they were
 * set), and between two firings every promise chain started by the previous one settles, so a
 * test reads like a timeline: `await clock.advance(2_500)` runs one heartbeat round to the end.
 */
export interface ManualClock extends Clock {
  /**
   * Move time forward by `ms`, firing every timer that comes due on the way (and timers those
   * timers set, if they fall inside the window). Calls are serialized.
   */
  advance(ms: number): Promise<void>
  /** `advance(ms)` in steps of `stepMs` (default 10), settling after each step. */
  runFor(ms: number, stepMs?: number): Promise<void>
  /** Advance to the next due timer and fire it (and its ties); false when nothing is pending. */
  runNext(): Promise<boolean>
  /**
   * Register async work that is not a timer (WebCrypto, I/O): `advance` waits for every tracked
   * promise to settle before it fires the next timer, so its outcome never depends on how many
   * event-loop turns the work took. Returns the promise unchanged.
   */
  track<T>(work: PromiseLike<T>): Promise<T>
  /** Let pending microtasks, macrotasks already queued and tracked work settle (time stands still). */
  settle(): Promise<void>
  /** Number of live timers. */
  pending(): number
  /** When the next timer is due, or null. */
  nextDueAt(): number | null
}

interface Timer {
  id: number
  due: number
  seq: number
  fn: () => void
  /** null: a one-shot timeout. */
  period: number | null
  live: boolean
}

type Immediate = (fn: () => void) => unknown
const realSetImmediate = (globalThis as { setImmediate?: Immediate }).setImmediate
const realSetTimeout = globalThis.setTimeout

/** One macrotask turn: every microtask queued before it has run when it resolves. */
function macrotask(): Promise<void> {
  return new Promise<void>((resolve) => {
    if (realSetImmediate) realSetImmediate(resolve)
    else realSetTimeout(resolve, 0)
  })
}

const before = (a: Timer, b: Timer) => a.due < b.due || (a.due === b.due && a.seq < b.seq)

/** A binary min-heap on (due, seq); cancelled timers are dropped lazily. */
class TimerHeap {
  readonly #items: Timer[] = []

  get size(): number {
    return this.#items.length
  }

  push(t: Timer): void {
    const a = this.#items
    a.push(t)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!before(a[i]!, a[p]!)) break
      ;[a[i], a[p]] = [a[p]!, a[i]!]
      i = p
    }
  }

  peek(): Timer | undefined {
    while (this.#items.length > 0 && !this.#items[0]!.live) this.pop()
    return this.#items[0]
  }

  pop(): Timer | undefined {
    const a = this.#items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l]!, a[m]!)) m = l
        if (r < a.length && before(a[r]!, a[m]!)) m = r
        if (m === i) break
        ;[a[i], a[m]] = [a[m]!, a[i]!]
        i = m
      }
    }
    return top
  }
}

const delayOf = (ms: number) => (Number.isFinite(ms) && ms > 0 ? ms : 0)

/** A manual clock starting at `startMs` (default 0). */
export function createManualClock(startMs = 0): ManualClock {
  let now = startMs
  let nextId = 1
  let seq = 0
  const heap = new TimerHeap()
  const timers = new Map<number, Timer>()
  /**
   * Tracked work, in the order it was started. Its continuations are released in that order, one
   * at a time with everything they trigger settled in between, however the real completions
   * interleave (WebCrypto finishes in a varying order): the same seed, the same schedule.
   */
  const tracked: { work: Promise<unknown>; release: () => void }[] = []
  let queue: Promise<void> = Promise.resolve()

  function schedule(fn: () => void, ms: number, period: number | null): TimerHandle {
    const t: Timer = { id: nextId++, due: now + delayOf(ms), seq: seq++, fn, period, live: true }
    timers.set(t.id, t)
    heap.push(t)
    return t.id
  }

  function cancel(handle: TimerHandle): void {
    if (typeof handle !== 'number') return
    const t = timers.get(handle)
    if (!t) return
    t.live = false
    timers.delete(handle)
  }

  async function settle(): Promise<void> {
    for (let round = 0; ; round++) {
      await macrotask()
      const head = tracked.shift()
      if (!head) return
      if (round > 100_000) throw new Error('manual clock: tracked work never settles')
      await head.work.then(
        () => undefined,
        () => undefined,
      )
      head.release()
    }
  }

  /** Fire the earliest live timer if it is due at or before `limit`. */
  function fireNext(limit: number): boolean {
    const t = heap.peek()
    if (!t || t.due > limit) return false
    heap.pop()
    now = Math.max(now, t.due)
    if (t.period !== null) {
      // Re-arm before running, so the callback may clear its own interval.
      t.due += t.period
      t.seq = seq++
      heap.push(t)
    } else {
      t.live = false
      timers.delete(t.id)
    }
    t.fn()
    return true
  }

  function serialize(task: () => Promise<void>): Promise<void> {
    const run = queue.then(task)
    queue = run.catch(() => undefined)
    return run
  }

  const clock: ManualClock = {
    now: () => now,
    setTimeout: (fn, ms) => schedule(fn, ms, null),
    clearTimeout: cancel,
    setInterval: (fn, ms) => schedule(fn, ms, Math.max(1, delayOf(ms))),
    clearInterval: cancel,

    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`cannot advance by ${ms} ms`)
      return serialize(async () => {
        const target = now + ms
        await settle()
        while (fireNext(target)) await settle()
        now = target
        await settle()
      })
    },

    async runFor(ms, stepMs = 10) {
      if (!Number.isFinite(stepMs) || stepMs <= 0) throw new RangeError(`bad step ${stepMs} ms`)
      let left = ms
      while (left > 0) {
        const step = Math.min(stepMs, left)
        await clock.advance(step)
        left -= step
      }
    },

    async runNext() {
      let fired = false
      await serialize(async () => {
        await settle()
        const t = heap.peek()
        if (!t) return
        const due = t.due
        while (fireNext(due)) {
          fired = true
          await settle()
        }
      })
      return fired
    },

    track<T>(work: PromiseLike<T>): Promise<T> {
      const p = Promise.resolve(work)
      let release!: () => void
      const gate = new Promise<void>((resolve) => (release = resolve))
      tracked.push({ work: p, release })
      return gate.then(() => p)
    },

    settle: () => serialize(settle),
    pending: () => timers.size,
    nextDueAt: () => heap.peek()?.due ?? null,
  }
  return clock
}

/** A participant's view of a shared clock whose timers can stall like a frozen tab's. */
export interface FreezableClock extends Clock {
  /**
   * For `ms`, no timer of this clock runs. At the thaw, each timer that came due fires once, in
   * due order (an interval that missed several periods fires once, as browsers coalesce them).
   * Pair it with `bus.freeze(id, ms)` so the tab's socket is frozen too.
   */
  freeze(ms: number): void
  readonly frozen: boolean
}

/** Wrap `base` (usually the test's manual clock) for one participant. */
export function createFreezableClock(base: Clock): FreezableClock {
  let frozenUntil: number | null = null
  let nextId = 1
  /** our handle → the base handle and the callback */
  const live = new Map<number, { base: TimerHandle; fire: () => void; once: boolean }>()
  /** Handles that came due while frozen, in order. */
  const missed: number[] = []

  function arm(fn: () => void, ms: number, once: boolean): TimerHandle {
    const id = nextId++
    const fire = () => {
      if (frozenUntil !== null) {
        if (!missed.includes(id)) missed.push(id)
        return
      }
      if (once) live.delete(id)
      fn()
    }
    const handle = once ? base.setTimeout(fire, ms) : base.setInterval(fire, ms)
    live.set(id, { base: handle, fire, once })
    return id
  }

  function cancel(handle: TimerHandle): void {
    if (typeof handle !== 'number') return
    const t = live.get(handle)
    if (!t) return
    live.delete(handle)
    if (t.once) base.clearTimeout(t.base)
    else base.clearInterval(t.base)
    const i = missed.indexOf(handle)
    if (i >= 0) missed.splice(i, 1)
  }

  function thaw(): void {
    if (frozenUntil === null) return
    if (base.now() < frozenUntil) {
      base.setTimeout(thaw, frozenUntil - base.now())
      return
    }
    frozenUntil = null
    for (const id of missed.splice(0)) live.get(id)?.fire()
  }

  return {
    // Tracked work of the frozen participant still counts for the shared manual clock.
    ...(base.track ? { track: <T>(work: PromiseLike<T>) => base.track!(work as Promise<T>) } : {}),
    now: () => base.now(),
    setTimeout: (fn, ms) => arm(fn, ms, true),
    clearTimeout: cancel,
    setInterval: (fn, ms) => arm(fn, ms, false),
    clearInterval: cancel,
    freeze(ms) {
      if (!(ms > 0)) return
      const until = base.now() + ms
      const wasFrozen = frozenUntil !== null
      frozenUntil = Math.max(frozenUntil ?? 0, until)
      if (!wasFrozen) base.setTimeout(thaw, ms)
    },
    get frozen() {
      return frozenUntil !== null
    },
  }
}
