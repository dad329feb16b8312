import {
  decodeSignal,
  Emitter,
  ErrorCode,
  KibitzError,
  MAX_ROSTER_MEMBERS,
  type SdpMessage,
  type SignalMessage,
  type TimerHandle,
  unrefTimer,
} from '@kibitz/protocol'
import { filterSdpCandidates, relayOnlyCandidates } from './candidates.js'
import { drainQueues, linkClosed } from './closing.js'
import type { MeshEvents } from './events.js'
import { startMediaHealth } from './media-health.js'
import { MeshMedia } from './media-lanes.js'
import {
  iceTransportPolicyFor,
  resolveMeshOptions,
  type Mesh,
  type MeshOptions,
} from './mesh-options.js'
import { FramedMessage } from './framing.js'
import { SpareLink } from './spare-link.js'
import { encodePayload, type MeshValue } from './payload.js'
import { frameBytesOf } from './sender.js'
import { PendingSignals } from './pending-signals.js'
import type { LinkSignal, LinkStats } from './peer-link.js'
import {
  createPeerState,
  receiveFrame,
  type PeerState,
  type PeerStats,
  type PeerTimer,
} from './peer-state.js'

export type { Mesh, MeshOptions } from './mesh-options.js'

const CLOSE_WAIT_MS = 1_000
/**
 * M32: a link's first stats sample, this long after it opened. `getStats` walks the connection on
 * the browser's WebRTC threads, and right at open those threads are bringing up its first media
 * (bench mesh, first frame). `sampleStats(id)` samples at once.
 */
const FIRST_STATS_MS = 1_000
/** A spare link older than this is replaced (M41): its candidates and allocations stay fresh. */
const SPARE_MAX_AGE_MS = 30_000

/** Create the mesh (data, and media lanes with `options.media`) of one participant. */
export function createMesh(options: MeshOptions): Mesh {
  const { self, signaling } = options
  const config = resolveMeshOptions(options)
  const { clock, iceServers, relayOnly, blocked, limits, maxAttempts, createLink } = config
  const media = options.media ? new MeshMedia(options.media, options.wrtc?.MediaStream) : null
  let blockedReported = false

  const events = new Emitter<MeshEvents>()
  const messageListeners = new Set<(data: MeshValue, from: string) => void>()
  const peers = new Map<string, PeerState>()
  const pending = new PendingSignals()
  let lastGeneration = 0
  let lastMessageId = 0
  let closed = false
  let spare: SpareLink | null = null
  let spareTimer: TimerHandle | null = null

  const error = (peer: string | null, err: KibitzError): void =>
    events.emit('error', { peer, error: err })

  /** Link generations only grow, across restarts too (they start at the wall clock). */
  function nextGeneration(): number {
    lastGeneration = Math.max(lastGeneration + 1, Math.floor(clock.now()))
    return lastGeneration
  }

  /** Encode and frame one outgoing message (the one copy of its payload; shared by a broadcast). */
  function frame(data: unknown): FramedMessage {
    const { kind, bytes } = encodePayload(data, limits)
    lastMessageId = (lastMessageId + 1) >>> 0 || 1
    return new FramedMessage(kind, bytes, lastMessageId, frameBytesOf(config.backpressure))
  }

  function send(to: string, message: SignalMessage): void {
    if (!signaling.send(to, message)) {
      error(to, new KibitzError(ErrorCode.NO_SUCH_PEER, `signal ${message.t} to ${to} not sent`))
    }
  }

  function setTimer(st: PeerState, name: PeerTimer, ms: number, fn: () => void): void {
    clearTimer(st, name)
    st.timers[name] = clock.setTimeout(() => {
      st.timers[name] = null
      if (!closed && peers.get(st.id) === st) fn()
    }, ms)
  }

  function clearTimer(st: PeerState, name: PeerTimer): void {
    const handle = st.timers[name]
    if (handle !== null) clock.clearTimeout(handle)
    st.timers[name] = null
  }

  /** Tear the current link down without side effects on the pair (M13: stale handlers are cut). */
  function dropLink(st: PeerState, reason: MeshEvents['close']['reason'] | null): void {
    clearTimer(st, 'connect')
    const link = st.link
    if (!link) return
    st.link = null
    for (const off of st.unsubs.splice(0)) off()
    media?.detach(st.id)
    st.queue.detach()
    st.reassembler.reset()
    const wasOpen = st.open
    st.open = false
    link.destroy()
    if (wasOpen && reason) events.emit('close', { peer: st.id, reason })
  }

  /**
   * Build a link of generation `gen` that `offers` (M5: the initiator, who holds the smaller id;
   * M44: also the answerer's courtesy offer, and the initiator answering one).
   */
  function startLink(st: PeerState, gen: number, offers = st.initiator): void {
    dropLink(st, 'replaced')
    if (blocked) return // M29: never a link, not even to answer
    st.gen = gen
    st.createdAt = clock.now()
    st.connection = null
    st.offers = 0
    st.courtesy = offers && !st.initiator
    st.policy = iceTransportPolicyFor(config, st)
    const taken = offers ? takeSpare(st.policy) : null
    const link =
      taken?.link ??
      createLink!({
        initiator: offers,
        iceServers,
        iceTransportPolicy: st.policy,
        // M35: the lanes start gated, so a withheld real track never leaves, not even for a frame.
        ...(media ? { media: { tracks: media.tracksFor(st.id) } } : {}),
      })
    st.link = link
    const current = () => st.link === link && peers.get(st.id) === st && !closed
    if (media) {
      st.unsubs.push(
        media.attach(st.id, link, (lane, track) => {
          if (current()) events.emit('track', { peer: st.id, lane, track })
        }),
      )
    }
    const onLinkSignal = (signal: LinkSignal): void => {
      if (!current()) return
      if (signal.kind === 'sdp') {
        if (signal.description.type === 'offer' && st.offers++ > 0) st.renegotiations++
        // M30: in relay-only mode no host/srflx candidate ever leaves, whatever the stack does.
        const description = relayOnly
          ? {
              ...signal.description,
              sdp: filterSdpCandidates(signal.description.sdp, relayOnlyCandidates),
            }
          : signal.description
        send(st.id, { t: 'sdp', description, link: gen })
      } else {
        if (relayOnly && signal.candidate && !relayOnlyCandidates(signal.candidate.candidate))
          return
        send(st.id, { t: 'ice', candidate: signal.candidate, link: gen })
      }
    }
    st.unsubs.push(
      link.on('signal', ({ signal }) => onLinkSignal(signal)),
      link.on('open', () => {
        if (!current()) return
        clearTimer(st, 'connect')
        clearTimer(st, 'retry')
        st.open = true
        st.attempts = 0
        st.connectMs = clock.now() - st.createdAt
        st.health.reset(clock.now())
        st.queue.attach(link)
        events.emit('open', { peer: st.id })
        setTimer(st, 'stats', FIRST_STATS_MS, () => void sample(st))
        // Sampling alone must never keep a process alive.
        unrefTimer(st.timers.stats)
      }),
      link.on('data', ({ data }) => {
        if (current()) receive(st, data)
      }),
      link.on('error', ({ error: err }) => {
        if (current()) error(st.id, err)
      }),
      link.on('close', () => {
        if (current()) linkLost(st)
      }),
    )
    setTimer(st, 'connect', config.connectTimeoutMs, () => {
      if (st.link !== link || st.open) return
      error(st.id, new KibitzError(ErrorCode.TIMEOUT, `link to ${st.id} did not open`))
      linkLost(st)
    })
    if (taken) {
      // A spare (M41): its offer and the candidates gathered so far leave as if made now — after
      // the code that added the peer has finished, as a fresh link's offer would: an authority
      // queues its roster right after telling us, and a peer drops signaling from anyone not yet
      // on its roster (R21). Then this peer's own lanes replace its placeholders: the swaps are
      // no part of the offer, and no media flows before the answer.
      queueMicrotask(() => {
        if (!current()) return
        for (const signal of taken.signals) onLinkSignal(signal)
        media?.apply(st.id)
      })
    }
  }

  /** M41: while we have no peers, keep an initiator link ready (renewed every SPARE_MAX_AGE_MS). */
  function prewarm(): void {
    if (!options.prewarm || closed || blocked || spare || peers.size > 0) return
    const policy: RTCIceTransportPolicy = relayOnly ? 'relay' : 'all'
    spare = new SpareLink(
      createLink!({
        initiator: true,
        iceServers,
        iceTransportPolicy: policy,
        // Nobody to gate for yet: placeholders only (M35), the peer's own lanes once taken.
        ...(media ? { media: { tracks: media.placeholderTracks() } } : {}),
      }),
      policy,
    )
    spareTimer = clock.setTimeout(() => {
      spareTimer = null
      dropSpare()
      prewarm()
    }, SPARE_MAX_AGE_MS)
  }

  function spareFor(policy: RTCIceTransportPolicy): boolean {
    return spare !== null && spare.usable && spare.policy === policy
  }

  function takeSpare(policy: RTCIceTransportPolicy): ReturnType<SpareLink['take']> | null {
    const s = spare
    if (!s || !spareFor(policy)) return null
    spare = null
    if (spareTimer !== null) clock.clearTimeout(spareTimer)
    spareTimer = null
    return s.take()
  }

  function dropSpare(): void {
    if (spareTimer !== null) clock.clearTimeout(spareTimer)
    spareTimer = null
    spare?.destroy()
    spare = null
  }

  /** The current link failed, closed or timed out (M14, M15). */
  function linkLost(st: PeerState): void {
    const gen = st.gen
    dropLink(st, 'failed')
    if (st.bye) return
    if (!st.initiator) {
      send(st.id, { t: 'dead', link: gen })
      return
    }
    redial(st)
  }

  /** Initiator: rebuild with backoff, bounded by `maxAttempts`. */
  function redial(st: PeerState): void {
    if (st.attempts >= maxAttempts) {
      error(
        st.id,
        new KibitzError(ErrorCode.TIMEOUT, `gave up on ${st.id} after ${st.attempts} attempts`),
      )
      return
    }
    const delay = st.attempts === 0 ? 0 : Math.min(250 * 2 ** (st.attempts - 1), 4_000)
    st.attempts++
    setTimer(st, 'retry', delay, () => startLink(st, nextGeneration()))
  }

  /** M32: ask the current link what it can tell about its connection; never throws. */
  async function sample(st: PeerState): Promise<LinkStats | null> {
    const link = st.link
    if (!link || !st.open || typeof link.getStats !== 'function') return null
    let stats = null
    try {
      stats = await link.getStats()
    } catch {
      stats = null
    }
    if (st.link === link && st.open && stats) st.connection = stats
    return stats
  }

  function receive(st: PeerState, data: Uint8Array | string): void {
    const value = receiveFrame(st, data, limits)
    if (!value) return
    if (!value.ok) return error(st.id, value.error)
    for (const cb of [...messageListeners]) {
      try {
        cb(value.value, st.id)
      } catch (err) {
        console.error('[kibitz] mesh onMessage listener threw', err)
      }
    }
  }

  function onSignal(from: string, raw: SignalMessage): void {
    if (closed || blocked || typeof from !== 'string' || from === self) return
    const decoded = decodeSignal(raw)
    if (!decoded.ok) return error(from, decoded.error)
    if (!decoded.value.known) return
    const message = decoded.value.message
    const st = peers.get(from)
    if (!st) {
      if (message.t === 'bye') pending.delete(from)
      else if (message.t !== 'health') pending.add(from, message, clock.now())
      return
    }
    handle(st, message)
  }

  function handle(st: PeerState, message: SignalMessage): void {
    if (message.t === 'bye') {
      st.bye = true
      clearTimer(st, 'retry')
      clearTimer(st, 'dial')
      dropLink(st, 'bye')
      st.queue.clear()
      return
    }
    if (st.bye || message.t === 'health') return
    if (st.initiator) {
      switch (message.t) {
        case 'sdp':
        case 'ice':
          if (message.t === 'sdp' && message.description.type === 'offer') {
            if (st.open) {
              return error(st.id, new KibitzError(ErrorCode.BAD_MESSAGE, 'offer from the answerer'))
            }
            // M44: the answerer's courtesy offer. Taken while ours has not left: we answer it, and
            // our later generations outrank it. Else dropped: the answerer yields to ours.
            if (st.offers > 0) return
            lastGeneration = Math.max(lastGeneration, message.link)
            clearTimer(st, 'retry')
            startLink(st, message.link, false)
            return answerWith(st, message)
          }
          if (message.link === st.gen && st.link) {
            st.link.signal(
              message.t === 'sdp'
                ? { kind: 'sdp', description: message.description }
                : { kind: 'ice', candidate: message.candidate },
            )
          }
          return
        case 'dial':
          // Ignore a dial for the generation we are already running (it crossed our offer).
          if (st.link && (st.open || message.link === st.gen)) return
          st.attempts = 0
          clearTimer(st, 'retry')
          startLink(st, nextGeneration())
          return
        case 'dead':
          if (message.link !== undefined && message.link !== st.gen) return
          if (st.link || st.timers.retry === null) {
            dropLink(st, 'failed')
            redial(st)
          }
          return
        default:
          return
      }
    }
    // We answer.
    switch (message.t) {
      case 'sdp': {
        // M44: our courtesy offer yields to the initiator's own, whatever its generation.
        const yields = st.courtesy && message.description.type === 'offer'
        if (message.link < st.gen && !yields) return // stale (M7)
        if (message.link > st.gen || !st.link || yields) {
          if (message.description.type !== 'offer') return
          clearTimer(st, 'dial')
          startLink(st, message.link)
          return answerWith(st, message)
        }
        if (message.description.type === 'offer') st.renegotiations++ // M34: never expected
        st.link.signal({ kind: 'sdp', description: message.description })
        return
      }
      case 'ice':
        if (message.link === st.gen && st.link) {
          st.link.signal({ kind: 'ice', candidate: message.candidate })
        } else if ((message.link > st.gen || st.courtesy) && st.early.length < 64) {
          st.early.push(message) // raced ahead of its offer
        }
        return
      case 'recreate':
        if (message.link < st.gen) return
        dropLink(st, 'replaced')
        st.gen = message.link
        return
      default:
        return // dial/dead go to the initiator
    }
  }

  /** Feed a fresh answering link its offer, then the ICE that raced ahead of it. */
  function answerWith(st: PeerState, offer: SdpMessage): void {
    const link = st.link
    if (!link) return
    st.offers = 1
    link.signal({ kind: 'sdp', description: offer.description })
    for (const ice of st.early.splice(0)) {
      if (ice.link === offer.link) link.signal({ kind: 'ice', candidate: ice.candidate })
    }
  }

  function addPeer(id: string): void {
    const st = createPeerState(id, self < id, clock, config.backpressure, limits)
    peers.set(id, st)
    if (blocked) {
      if (!blockedReported) error(null, blocked)
      blockedReported = true
      return
    }
    if (st.initiator) startLink(st, nextGeneration())
    else {
      // M44: we answer this pair, but a spare's offer is ready: it goes out now as a courtesy,
      // instead of waiting for the initiator to build its own.
      if (spareFor(iceTransportPolicyFor(config, st))) startLink(st, nextGeneration(), true)
      scheduleDial(st, config.dialAfterMs)
    }
    for (const message of pending.take(id, clock.now())) {
      if (peers.get(id) === st) handle(st, message)
    }
  }

  /** Answerer: ask for a dial while no offer has come (M10), with backoff. */
  function scheduleDial(st: PeerState, ms: number): void {
    setTimer(st, 'dial', ms, () => {
      if (st.link || st.bye) return
      send(st.id, st.gen > 0 ? { t: 'dial', link: st.gen } : { t: 'dial' })
      scheduleDial(st, Math.min(ms * 2, 30_000))
    })
  }

  function removePeer(st: PeerState, reason: MeshEvents['close']['reason']): void {
    peers.delete(st.id)
    for (const name of Object.keys(st.timers) as PeerTimer[]) clearTimer(st, name)
    dropLink(st, reason)
    st.queue.clear()
  }

  const unsubscribeSignals = signaling.onSignal(onSignal)
  const statsTimer =
    config.statsIntervalMs > 0
      ? clock.setInterval(() => {
          for (const st of peers.values()) if (st.open) void sample(st)
        }, config.statsIntervalMs)
      : null
  // Sampling alone must never keep a process alive.
  unrefTimer(statsTimer)
  const stopHealth =
    media && config.mediaStallMs > 0
      ? startMediaHealth({
          clock,
          stallMs: config.mediaStallMs,
          maxStalls: maxAttempts,
          peers: () => peers.values(),
          sample,
          stalled: (st, err, rebuild) => {
            error(st.id, err)
            if (rebuild) linkLost(st)
          },
        })
      : null

  function needMedia(): MeshMedia {
    if (!media) throw new KibitzError(ErrorCode.NOT_CONFIGURED, 'media is off (MeshOptions.media)')
    return media
  }

  function getPeer(id: string): PeerState {
    const st = typeof id === 'string' ? peers.get(id) : undefined
    if (!st || st.bye) throw new KibitzError(ErrorCode.NO_SUCH_PEER, `no peer ${String(id)}`)
    return st
  }

  function statsOf(id: string): PeerStats | null {
    const st = peers.get(id)
    if (!st) return null
    return blocked ? { ...st.stats(), state: 'blocked' } : st.stats()
  }

  return {
    self,
    relayOnly,
    blocked,
    media: media !== null,
    setPeers(ids) {
      if (closed) return
      const next = new Set<string>()
      for (const id of ids) {
        if (typeof id === 'string' && id.length > 0 && id !== self) next.add(id)
        if (next.size >= MAX_ROSTER_MEMBERS) break
      }
      for (const st of [...peers.values()]) if (!next.has(st.id)) removePeer(st, 'left')
      for (const id of next) if (!peers.has(id)) addPeer(id)
      // M41: a spare only while alone — taken by the first peer we dial, else closed.
      if (peers.size > 0) dropSpare()
      else prewarm()
    },
    broadcast(data) {
      const message = frame(data)
      let count = 0
      for (const st of peers.values()) {
        if (!st.open || st.bye) continue
        st.queue.enqueue(message)
        count++
      }
      return count
    },
    sendTo(id, data) {
      const st = getPeer(id)
      if (blocked) throw blocked
      st.queue.enqueue(frame(data))
    },
    onMessage(cb) {
      messageListeners.add(cb)
      return () => void messageListeners.delete(cb)
    },
    on: (event, cb) => events.on(event, cb),
    connectedPeers: () => [...peers.values()].filter((st) => st.open).map((st) => st.id),
    stats: statsOf,
    async sampleStats(id) {
      const st = peers.get(id)
      if (!st) return null
      await sample(st)
      return statsOf(id)
    },
    setTrack: (lane, track) => needMedia().setTrack(lane, track),
    setGate: (peer, withheld) => needMedia().setGate(peer, withheld),
    remoteTracks: (peer) => (media && peers.has(peer) ? media.remoteTracks(peer) : null),
    remoteStream: (peer) => (media && peers.has(peer) ? media.remoteStream(peer) : null),
    async close() {
      if (closed) return
      const all = [...peers.values()]
      await drainQueues(all, clock, config.byeFlushMs)
      closed = true
      dropSpare()
      unsubscribeSignals()
      if (statsTimer !== null) clock.clearInterval(statsTimer)
      stopHealth?.()
      const closing: Promise<void>[] = []
      for (const st of all) {
        if (!st.bye) signaling.send(st.id, { t: 'bye' })
        if (st.link) closing.push(linkClosed(st.link, clock, CLOSE_WAIT_MS))
        removePeer(st, 'closed')
      }
      pending.clear()
      media?.clear()
      await Promise.all(closing)
      events.clear()
      messageListeners.clear()
    },
  }
}
