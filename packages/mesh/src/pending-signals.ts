import type { SignalMessage } from '@kibitz/protocol'

export interface PendingLimits {
  /** Distinct senders buffered at once. */
  maxPeers: number
  /** Signals kept per sender (oldest dropped first). */
  maxPerPeer: number
  /** A sender's buffer expires this long after its first signal (ms). */
  ttlMs: number
}

export const DEFAULT_PENDING_LIMITS: PendingLimits = { maxPeers: 32, maxPerPeer: 64, ttlMs: 10_000 }

/**
 * Signals from peers not (yet) in our set (M9): the roster reaches peers at different moments, so
 * an offer can beat the roster that names its sender. Bounded in senders, count and age; replayed
 * when the sender joins the set, forgotten otherwise.
 */
export class PendingSignals {
  readonly #byPeer = new Map<string, { since: number; messages: SignalMessage[] }>()

  constructor(readonly limits: PendingLimits = DEFAULT_PENDING_LIMITS) {}

  add(from: string, message: SignalMessage, now: number): void {
    this.#expire(now)
    let entry = this.#byPeer.get(from)
    if (!entry) {
      if (this.#byPeer.size >= this.limits.maxPeers) {
        const oldest = this.#byPeer.keys().next().value
        if (oldest !== undefined) this.#byPeer.delete(oldest)
      }
      entry = { since: now, messages: [] }
      this.#byPeer.set(from, entry)
    }
    entry.messages.push(message)
    if (entry.messages.length > this.limits.maxPerPeer) entry.messages.shift()
  }

  /** Remove and return what `from` sent while outside the set. */
  take(from: string, now: number): SignalMessage[] {
    this.#expire(now)
    const entry = this.#byPeer.get(from)
    this.#byPeer.delete(from)
    return entry?.messages ?? []
  }

  delete(from: string): void {
    this.#byPeer.delete(from)
  }

  clear(): void {
    this.#byPeer.clear()
  }

  #expire(now: number): void {
    for (const [peer, entry] of this.#byPeer) {
      if (now - entry.since > this.limits.ttlMs) this.#byPeer.delete(peer)
    }
  }
}
