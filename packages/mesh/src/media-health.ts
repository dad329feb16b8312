import { ErrorCode, KibitzError, unrefTimer, type Clock } from '@kibitz/protocol'
import type { LinkStats, PeerLink } from './peer-link.js'
import type { PeerState } from './peer-state.js'

/**
 * Media health of one peer (M36): a link that is open but whose inbound RTP bytes have not grown
 * for `stallMs` carries no media and is rebuilt. Only judged once media is expected: the remote
 * description announces a sending lane, or media already arrived on this link (a data-only peer
 * sends none, and that is fine).
 */
export class MediaHealth {
  #bytes = 0
  #since = 0
  /** Stall rebuilds in a row; back to 0 as soon as inbound media grows. */
  stalls = 0
  /** The bound was reached: stop rebuilding (and reporting) until media flows again. */
  gaveUp = false

  /** A new link opened at `now` (its counters start at 0). */
  reset(now: number): void {
    this.#bytes = 0
    this.#since = now
  }

  /** One sample of the open link; true when it has carried no inbound media for `stallMs`. */
  observe(bytes: number, remoteSends: boolean, now: number, stallMs: number): boolean {
    if (bytes > this.#bytes) {
      this.#bytes = bytes
      this.#since = now
      this.stalls = 0
      this.gaveUp = false
      return false
    }
    if (!remoteSends && this.#bytes === 0) {
      this.#since = now // nothing expected (yet)
      return false
    }
    return now - this.#since >= stallMs
  }
}

/** What the health check needs from the mesh. */
export interface MediaHealthHost {
  clock: Clock
  stallMs: number
  /** Stall rebuilds in a row before giving up (the mesh's `maxAttempts`). */
  maxStalls: number
  peers(): Iterable<PeerState>
  /** Sample the peer's open link (also what `stats(id).connection` shows). */
  sample(st: PeerState): Promise<LinkStats | null>
  /**
   * The open link carries no media: rebuild it (M14 recovery; the answerer via `dead`), or, once
   * `maxStalls` rebuilds in a row did not help (`rebuild` false), only report it.
   */
  stalled(st: PeerState, error: KibitzError, rebuild: boolean): void
}

/**
 * Samples every open media link each `stallMs / 4` (25 ms … 2 s) on the injected clock; the timer
 * never keeps a process alive. Returns a stop function.
 */
export function startMediaHealth(host: MediaHealthHost): () => void {
  const { clock, stallMs, maxStalls } = host
  const every = Math.max(25, Math.min(2_000, Math.floor(stallMs / 4)))
  const sampling = new Set<PeerLink>()

  async function check(st: PeerState, link: PeerLink): Promise<void> {
    if (sampling.has(link)) return // a slow getStats never piles up
    sampling.add(link)
    const stats = await host.sample(st).finally(() => sampling.delete(link))
    if (!stats || !link.media || st.link !== link || !st.open) return
    const { health } = st
    const bytes = stats.media?.bytesReceived ?? 0
    if (!health.observe(bytes, link.media.remoteSends, clock.now(), stallMs) || health.gaveUp)
      return
    if (health.stalls >= maxStalls) {
      health.gaveUp = true
      const why = `no media from ${st.id} after ${health.stalls} rebuilds: keeping the link`
      host.stalled(st, new KibitzError(ErrorCode.TIMEOUT, why), false)
      return
    }
    health.stalls++
    const why = `no media from ${st.id} for ${stallMs} ms: rebuilding`
    host.stalled(st, new KibitzError(ErrorCode.TIMEOUT, why), true)
  }

  const timer = clock.setInterval(() => {
    for (const st of host.peers()) if (st.open && st.link?.media) void check(st, st.link)
  }, every)
  unrefTimer(timer)
  return () => clock.clearInterval(timer)
}
