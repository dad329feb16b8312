import { ErrorCode, KibitzError, MEDIA_LANES, type MediaLane } from '@kibitz/protocol'
import type { LaneOfStat } from './link-stats.js'
import type { LaneTracks, LinkMedia } from './peer-link.js'

/**
 * Media lanes on one `RTCPeerConnection` (M33–M35), whatever drives its data channel and SDP.
 *
 * Lane mapping needs no protocol: the initiator creates one sendrecv transceiver per lane in
 * `MEDIA_LANES` order, m-lines keep creation order, so on both sides a lane is its position
 * among the transceivers of its kind (1st audio = audio, 2nd = shareAudio, 1st video = video,
 * 2nd = share). The answerer adds nothing: it turns the offer's transceivers sendrecv right after
 * `setRemoteDescription` (before the answer is made), so the first answer is sendrecv on every lane
 * and no second offer is ever needed. Everything else waits until its answer has been sent (the
 * link calls `answerSent()`): the lanes' tracks (a `replaceTrack` queued before the answer would
 * hold the answer back on the connection's chain of operations) and the remote tracks it reports
 * (what listeners do with them would run between the offer and the answer). Media cannot flow
 * before the answer reaches the offerer, so neither waits for anything. Tracks only change by
 * `replaceTrack`.
 */

/** The track kind a lane carries. */
export const LANE_KIND: Readonly<Record<MediaLane, 'audio' | 'video'>> = {
  audio: 'audio',
  video: 'video',
  share: 'video',
  shareAudio: 'audio',
}

interface Sender {
  readonly track: MediaStreamTrack | null
  replaceTrack(track: MediaStreamTrack | null): Promise<void>
}
interface Transceiver {
  readonly mid: string | null
  direction: string
  readonly stopped?: boolean
  readonly sender: Sender
  readonly receiver: { readonly track: MediaStreamTrack }
}
/** The part of `RTCPeerConnection` lanes use (browsers and roam have it; node-datachannel throws). */
export interface MediaPeerConnection {
  addTransceiver(trackOrKind: MediaStreamTrack | string, init?: { direction?: string }): Transceiver
  getTransceivers(): Transceiver[]
  setRemoteDescription(description: unknown): Promise<void>
}

export interface LinkMediaHooks {
  track(lane: MediaLane, track: MediaStreamTrack): void
  error(error: KibitzError): void
}

/** The lanes of an attached connection, plus how to attribute its inbound RTP stats to them. */
export interface AttachedLinkMedia extends LinkMedia {
  laneOf: LaneOfStat
  /**
   * The answerer's link calls this once its answer has been handed on to signaling: its lanes take
   * their tracks and its remote tracks are reported only then. Nothing for an initiator.
   */
  answerSent(): void
}

/**
 * Attach the four lanes to `pc`, right after it is created and before its first offer or answer.
 * Throws when the implementation has no media (node-datachannel): the link stays data-only.
 */
export function attachLinkMedia(
  pc: MediaPeerConnection,
  initiator: boolean,
  tracks: LaneTracks,
  hooks: LinkMediaHooks,
): AttachedLinkMedia {
  if (typeof pc.addTransceiver !== 'function' || typeof pc.getTransceivers !== 'function') {
    throw new KibitzError(ErrorCode.NOT_CONFIGURED, 'this WebRTC implementation has no media')
  }
  const desired: Record<MediaLane, MediaStreamTrack | null> = { ...tracks }
  const senders = new Map<MediaLane, Sender>()
  const chains = new Map<MediaLane, Promise<void>>()
  const live = new Set<MediaLane>()
  /** The answerer's lanes, taken at the offer: their tracks go on once the answer is sent. */
  const afterAnswer: MediaLane[] = []
  /** The answerer's remote tracks, reported once the answer is sent. */
  const reportLater: (() => void)[] = []
  let answered = initiator
  let remoteSends = false

  if (initiator) {
    // Both media sections are always offered, with the placeholder (or null) on every lane.
    for (const lane of MEDIA_LANES) {
      const t = pc.addTransceiver(desired[lane] ?? LANE_KIND[lane], { direction: 'sendrecv' })
      senders.set(lane, t.sender)
    }
  }

  /** Converge the lane's sender on what is desired when the swap runs (latest call wins). */
  function apply(lane: MediaLane): Promise<void> {
    const sender = senders.get(lane)
    // Not yet: the answer goes first, and the lane takes what is desired then.
    if (!sender || !answered) return Promise.resolve()
    const next = (chains.get(lane) ?? Promise.resolve())
      .then(async () => {
        const track = desired[lane]
        if (sender.track !== track) await sender.replaceTrack(track)
      })
      .catch((cause: unknown) =>
        hooks.error(
          new KibitzError(ErrorCode.INTERNAL, `replaceTrack on lane ${lane} failed`, { cause }),
        ),
      )
    chains.set(lane, next)
    return next
  }

  function afterRemoteDescription(description: unknown): void {
    const sdp = (description as { sdp?: unknown } | null)?.sdp
    const sections = typeof sdp === 'string' ? remoteDirections(sdp) : new Map<string, boolean>()
    for (const [lane, t] of lanesOf(pc.getTransceivers())) {
      if (!initiator && !senders.has(lane)) {
        t.direction = 'sendrecv'
        senders.set(lane, t.sender)
        afterAnswer.push(lane)
      }
      if (t.mid !== null && sections.get(t.mid) === true) {
        remoteSends = true
        if (!live.has(lane)) {
          live.add(lane)
          const report = () => hooks.track(lane, t.receiver.track)
          if (answered) report()
          else reportLater.push(report)
        }
      }
    }
  }

  // Runs inside whatever calls setRemoteDescription (the link creates its answer after it).
  const setRemote = pc.setRemoteDescription.bind(pc)
  pc.setRemoteDescription = async (description: unknown) => {
    await setRemote(description)
    try {
      afterRemoteDescription(description)
    } catch (cause) {
      // A lane that cannot be set up must not fail the link (its data channel still works).
      hooks.error(new KibitzError(ErrorCode.INTERNAL, 'media lanes not set up', { cause }))
    }
  }
  return {
    answerSent() {
      if (answered) return
      answered = true
      for (const lane of afterAnswer.splice(0)) void apply(lane)
      for (const report of reportLater.splice(0)) report()
    },
    setTrack(lane, track) {
      desired[lane] = track
      void apply(lane)
    },
    track: (lane) => desired[lane],
    get remoteSends() {
      return remoteSends
    },
    laneOf(stat) {
      const mid = typeof stat.mid === 'string' ? stat.mid : null
      const trackId = typeof stat.trackIdentifier === 'string' ? stat.trackIdentifier : null
      for (const [lane, t] of lanesOf(pc.getTransceivers())) {
        if (
          (mid !== null && t.mid === mid) ||
          (trackId !== null && t.receiver.track.id === trackId)
        )
          return lane
      }
      return null
    },
  }
}

/** Lane of each transceiver: its position among the transceivers of its kind. */
function lanesOf(transceivers: Transceiver[]): Map<MediaLane, Transceiver> {
  const out = new Map<MediaLane, Transceiver>()
  const seen = { audio: 0, video: 0 }
  for (const t of transceivers) {
    if (t.stopped) continue
    const kind = t.receiver.track.kind
    if (kind !== 'audio' && kind !== 'video') continue
    const lane = MEDIA_LANES.filter((l) => LANE_KIND[l] === kind)[seen[kind]++]
    if (lane) out.set(lane, t)
  }
  return out
}

/**
 * For each media section of a remote description (by mid): does the remote send on it? It must
 * allow sending (`sendrecv`/`sendonly`, port ≠ 0) and announce its RTP source (`a=ssrc:`, which
 * browsers and roam always write for a sender). A data-only node-datachannel peer answers our
 * media sections `sendrecv`, even echoing `a=msid`, but with no `a=ssrc` and never sends.
 */
export function remoteDirections(sdp: string): Map<string, boolean> {
  const out = new Map<string, boolean>()
  let media = false
  let port = 0
  let mid: string | null = null
  let direction = 'sendrecv'
  let ssrc = false
  const flush = () => {
    if (media && mid !== null)
      out.set(mid, ssrc && port !== 0 && (direction === 'sendrecv' || direction === 'sendonly'))
  }
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('m=')) {
      flush()
      const [kind, portText] = line.slice(2).split(' ')
      media = kind === 'audio' || kind === 'video'
      port = Number(portText)
      mid = null
      direction = 'sendrecv'
      ssrc = false
    } else if (line.startsWith('a=ssrc:')) {
      ssrc = true
    } else if (line.startsWith('a=mid:')) {
      mid = line.slice('a=mid:'.length).trim()
    } else if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(line.trim())) {
      direction = line.trim().slice(2)
    }
  }
  flush()
  return out
}

/**
 * `attachLinkMedia` for a link: on an implementation without media (node-datachannel) the link
 * stays data-only and reports `NOT_CONFIGURED` through `hooks.error` asynchronously, once its
 * caller has had a chance to subscribe (M33). `hooks` must drop calls once the link is closed.
 */
export function setUpLinkMedia(
  pc: MediaPeerConnection,
  initiator: boolean,
  tracks: LaneTracks,
  hooks: LinkMediaHooks,
): AttachedLinkMedia | undefined {
  try {
    return attachLinkMedia(pc, initiator, tracks, hooks)
  } catch (cause) {
    const error = new KibitzError(ErrorCode.NOT_CONFIGURED, 'no media lanes on this link', {
      cause,
    })
    queueMicrotask(() => hooks.error(error))
    return undefined
  }
}
