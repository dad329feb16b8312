import { createCall, type Call, type CallOptions } from '@kibitz/call'

/**
 * Controllers `useCall(options)` owns (SPEC RX2). React may render a component without ever
 * committing it (StrictMode's double render, a suspended or interrupted first render), and it runs
 * StrictMode's effects twice (mount → cleanup → mount). So ownership is counted, not assumed:
 *
 * - `createOwned` makes a controller during render and arms an orphan timer: if no effect claims it
 *   within {@link ORPHAN_MS}, the render that made it never committed and it is destroyed.
 * - `claim` (effect) counts a committed owner and disarms the timer; `release` (cleanup) drops the
 *   count and, at zero, destroys after {@link RELEASE_MS} — unless a claim comes first. StrictMode's
 *   cleanup + re-run happens synchronously in one commit, so it never destroys a controller in use.
 * - A destroyed controller is never claimed again (`claim` returns false): the hook renders a new one.
 */

/** How long a controller made in a render waits for that render's commit before it is destroyed. */
export const ORPHAN_MS = 5_000
/** Grace between the last release and destroy (a StrictMode re-run or a quick remount reclaims). */
export const RELEASE_MS = 0
/** The longest a controller released while `connecting` waits for its join to settle. */
export const SETTLE_MS = 10_000

interface Ownership {
  claims: number
  timer: ReturnType<typeof setTimeout> | null
  destroyed: boolean
}

const book = new WeakMap<Call, Ownership>()
let live = 0

/** Create a controller this package owns (throws the controller's typed error on bad options). */
export function createOwned(options: CallOptions): Call {
  const call = createCall(options)
  const own: Ownership = { claims: 0, timer: null, destroyed: false }
  book.set(call, own)
  live++
  arm(call, own, ORPHAN_MS)
  return call
}

/** A committed owner (an effect) holds `call`. False when it was already destroyed. */
export function claim(call: Call): boolean {
  const own = book.get(call)
  if (!own || own.destroyed) return false
  own.claims++
  disarm(own)
  return true
}

/** A committed owner let go (effect cleanup): destroy once nobody reclaims it. */
export function release(call: Call): void {
  const own = book.get(call)
  if (!own || own.destroyed) return
  own.claims = Math.max(0, own.claims - 1)
  if (own.claims === 0) arm(call, own, RELEASE_MS)
}

/** Whether we destroyed (or are destroying) this owned controller. */
export function isDestroyed(call: Call): boolean {
  return book.get(call)?.destroyed === true
}

/** Owned controllers not destroyed yet (tests: StrictMode must not leave two). */
export function liveControllers(): number {
  return live
}

function disarm(own: Ownership): void {
  if (own.timer !== null) clearTimeout(own.timer)
  own.timer = null
}

function arm(call: Call, own: Ownership, ms: number): void {
  disarm(own)
  own.timer = setTimeout(() => {
    own.timer = null
    if (own.claims > 0 || own.destroyed) return
    own.destroyed = true
    live--
    retire(call)
  }, ms)
  // Never keep a Node process (SSR, tests) alive for a pending orphan check.
  ;(own.timer as { unref?: () => void }).unref?.()
}

/**
 * Destroy `call`; one released while `connecting` first waits (≤ SETTLE_MS) until it is rostered,
 * waiting or refused. Workaround: presence's `start()` does not notice a `leave()` that lands
 * while it is still deriving keys, so destroying mid-connect leaves a live, heartbeating zombie on
 * everyone's roster. Waiting costs a brief join + leave instead.
 */
function retire(call: Call): void {
  const go = (): void => {
    call.destroy().catch((err: unknown) => console.error('[kibitz] destroy failed', err))
  }
  if (call.getState().status !== 'connecting') return go()
  let finished = false
  const timer = setTimeout(done, SETTLE_MS)
  ;(timer as { unref?: () => void }).unref?.()
  const off = call.subscribe(() => {
    if (call.getState().status !== 'connecting') done()
  })
  function done(): void {
    if (finished) return
    finished = true
    clearTimeout(timer)
    off()
    go()
  }
}
