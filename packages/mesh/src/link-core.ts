import { Emitter, ErrorCode, KibitzError, type IceCandidate } from '@kibitz/protocol'
import type { CandidateFilter } from './candidates.js'
import type { LinkSignal, PeerLink, PeerLinkEvents } from './peer-link.js'

/**
 * What the direct link (M39) and the native link (M43) share: the close protocol and the checks
 * on incoming signals. Each link keeps its own stack calls.
 */

/** Remote candidates held until the remote description is applied (beyond: dropped, reported). */
export const MAX_EARLY_CANDIDATES = 128

/**
 * The native link's connection failed after ICE connected and before the channel opened: DTLS or
 * SCTP. A tampered fingerprint does this; so, under CPU contention, does libdatachannel 0.33's
 * cold-handshake race (decisions.md, M43), which the mesh rebuilds through (M14).
 */
export const HANDSHAKE_FAILED = 'link failed: handshake failed'

export const linkError = (code: ErrorCode, message: string, cause?: unknown): KibitzError =>
  new KibitzError(code, message, cause === undefined ? undefined : { cause })

export interface LinkLifecycle {
  /** True until a close starts; every stack callback checks it first. */
  live(): boolean
  /** A problem the link survives. */
  report(err: KibitzError): void
  /** The connection failed: `error`, then `close`. */
  failed(err: KibitzError): void
  /** Closed remotely or by the stack: `close`. */
  ended(): void
  /** Closed locally: `close` in a microtask, after the caller's own bookkeeping. */
  destroy(): void
}

/**
 * The close protocol: `close` fires exactly once and nothing follows it. `teardown` releases the
 * stack (channel, connection) and runs once, when the close starts.
 */
export function linkLifecycle(
  events: Emitter<PeerLinkEvents>,
  teardown: () => void,
): LinkLifecycle {
  let phase: 'live' | 'ending' | 'closed' = 'live'
  const live = () => phase === 'live'
  const start = () => {
    phase = 'ending'
    teardown()
  }
  const finish = () => {
    phase = 'closed'
    events.emit('close', {})
    events.clear()
  }
  return {
    live,
    report(err) {
      if (live()) events.emit('error', { error: err })
    },
    failed(err) {
      if (!live()) return
      start()
      events.emit('error', { error: err })
      finish()
    },
    ended() {
      if (!live()) return
      start()
      finish()
    },
    destroy() {
      if (!live()) return
      start()
      queueMicrotask(finish)
    },
  }
}

/**
 * Why a remote description must be refused (`BAD_MESSAGE`, the link stays), or null to apply it:
 * links negotiate exactly once, the initiator takes an answer after its offer, the answerer an
 * offer. A `rollback` is never passed here (it is ignored).
 */
export function descriptionRefusal(
  type: string,
  state: { initiator: boolean; remoteSeen: boolean; described: boolean },
): KibitzError | null {
  const side = state.initiator ? 'initiator' : 'answerer'
  if (type !== (state.initiator ? 'answer' : 'offer'))
    return linkError(ErrorCode.BAD_MESSAGE, `${type} refused: this link is the ${side}`)
  if (state.remoteSeen)
    return linkError(ErrorCode.BAD_MESSAGE, `second ${type} refused: links negotiate once`)
  if (state.initiator && !state.described)
    return linkError(ErrorCode.BAD_MESSAGE, 'answer refused: no offer was made yet')
  return null
}

/**
 * Route one incoming signal: a description (not `rollback`) to `description`, a candidate the
 * filter keeps to `candidate`; a null candidate (end-of-candidates) is informational. Never
 * throws: a throw below becomes a reported `BAD_MESSAGE`.
 */
export function routeSignal(
  signal: LinkSignal,
  keep: CandidateFilter | undefined,
  to: {
    description(type: string, sdp: string): void
    candidate(candidate: IceCandidate): void
    report(err: KibitzError): void
  },
): void {
  try {
    if (signal.kind === 'sdp') {
      if (signal.description.type !== 'rollback')
        to.description(signal.description.type, signal.description.sdp)
    } else if (signal.candidate && (!keep || keep(signal.candidate.candidate)))
      to.candidate(signal.candidate)
  } catch (cause) {
    to.report(linkError(ErrorCode.BAD_MESSAGE, 'signal refused by the link', cause))
  }
}

/** Close each of a link's stack objects, ignoring the ones that are already closed. */
export function closeQuietly(...closables: ({ close(): void } | null)[]): void {
  for (const c of closables) {
    try {
      c?.close()
    } catch {
      // already closed
    }
  }
}

/** Chromium's mDNS host candidates: stacks without mDNS (node-datachannel, roam) refuse them. */
export const isMdns = (candidate: string): boolean => /\s[^\s]+\.local\s/.test(candidate)

/** A link whose connection could not even be created: `error`, then `close`, asynchronously. */
export function deadLink(initiator: boolean, err: KibitzError): PeerLink {
  const events = new Emitter<PeerLinkEvents>()
  let closed = false
  const finish = () => {
    if (closed) return
    closed = true
    events.emit('error', { error: err })
    events.emit('close', {})
    events.clear()
  }
  queueMicrotask(finish)
  return {
    initiator,
    connected: false,
    bufferedAmount: 0,
    signal() {},
    send() {
      throw new KibitzError(ErrorCode.INTERNAL, 'link is not open')
    },
    on: (event, cb) => events.on(event, cb),
    destroy() {
      if (closed) return
      closed = true
      queueMicrotask(() => {
        events.emit('close', {})
        events.clear()
      })
    },
  }
}
