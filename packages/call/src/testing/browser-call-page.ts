import { loopbackOnly } from '@kibitz/mesh'
import type { HostTier, PresenceTiming } from '@kibitz/presence'
import { createCall } from '../call.js'
import type { Call, Grant } from '../index.js'

/**
 * The page side of call.browser.test.ts (bundled with @kibitz/test-utils' `bundleForBrowser`):
 * one headless controller on the browser's own WebRTC, media devices (Chromium's fake camera and
 * microphone) and default placeholders, signaled through the real broker, driven through
 * `window.kib`. Everything it returns is plain JSON.
 *
 * Signaling is observed from outside the controller: before anything runs, the page swaps
 * `RTCPeerConnection` for a subclass that counts every offer, answer and remote description each
 * connection makes. A renegotiation would need one more of them, so no test seam in
 * `@kibitz/call` is needed; the same registry finds the receiver behind a participant's track
 * for its inbound RTP stats.
 */

/** SDP work one RTCPeerConnection did. */
export interface PcCounts {
  offers: number
  answers: number
  remoteDescriptions: number
  negotiationNeeded: number
  state: RTCPeerConnectionState
}

/** What arrives on one remote track (inbound-rtp of its receiver), or null without a receiver. */
export interface Inbound {
  trackId: string
  bytes: number
  framesDecoded: number
  width: number
  height: number
  /** Audio: the sum of squared levels so far (0 on silence). */
  audioEnergy: number
  /** Diagnostics: frames received, keyframes decoded, PLIs and NACKs sent, packets lost. */
  framesReceived: number
  keyFrames: number
  pli: number
  nack: number
  lost: number
}

export interface ParticipantView {
  id: string
  name: string
  isSelf: boolean
  camOn: boolean
  micOn: boolean
  kind: string
  role: string
  connected: boolean
  speaking: boolean
  /** Track ids of `stream` / `shareStream` (null: no stream). */
  stream: string[] | null
  share: string[] | null
}

/** A `<video>` bound to a participant's stream: frames presented and their size (rVFC). */
export interface VideoView {
  bound: boolean
  frames: number
  width: number
  height: number
}

export interface KibCallPage {
  create(o: {
    room: string
    name: string
    signalHost: string
    host?: HostTier
    meta?: Record<string, unknown>
    timing?: Partial<PresenceTiming>
  }): void
  /** Join; resolves to our id once on the roster. */
  join(o?: { mic?: boolean; cam?: boolean }): Promise<string>
  state(): { status: string; self: string | null; camOn: boolean; micOn: boolean; sharing: boolean }
  participants(): ParticipantView[]
  toggleCam(): Promise<boolean>
  toggleMic(): Promise<boolean>
  /** Share an animated `w`×`h` canvas (`shareTrack`). */
  shareCanvas(w: number, h: number): void
  stopShare(): void
  setGrant(id: string, grant: Grant | null): boolean
  /** Inbound stats of `id`'s camera, mic, share and share-audio tracks (by their receivers). */
  inbound(id: string): Promise<Record<'video' | 'audio' | 'share' | 'shareAudio', Inbound | null>>
  /** Bind `id`'s stream (or share stream) to a `<video>` (once) and report what it presents. */
  video(id: string, which: 'stream' | 'share'): VideoView
  /** Diagnostics: every live video sender's track and outbound-rtp counters. */
  outbound(): Promise<Record<string, unknown>[]>
  /** SDP counts of every RTCPeerConnection this page made (closed ones included). */
  negotiation(): PcCounts[]
  errors(): string[]
  /** Every id the controller's `speaking` event has named since `create`. */
  spoke(): string[]
  /** `AudioContext`s this page made (the silent placeholder's, a speaking meter's). */
  audioContexts(): number
  leave(): Promise<void>
}

declare global {
  interface Window {
    kib: KibCallPage
  }
}

// ── RTCPeerConnection, observed ───────────────────────────────────────────────────────────────

const connections: { pc: RTCPeerConnection; counts: Omit<PcCounts, 'state'> }[] = []
const Native = window.RTCPeerConnection

class CountingPeerConnection extends Native {
  constructor(config?: RTCConfiguration) {
    super(config)
    const counts = { offers: 0, answers: 0, remoteDescriptions: 0, negotiationNeeded: 0 }
    connections.push({ pc: this, counts })
    this.addEventListener('negotiationneeded', () => counts.negotiationNeeded++)
    // Own properties over the prototype's methods (simple-peer and the mesh call these).
    type Fn = (...args: unknown[]) => Promise<unknown>
    const wrap = (name: 'createOffer' | 'createAnswer' | 'setRemoteDescription', count: Fn) => {
      const native = (this[name] as Fn).bind(this)
      ;(this as unknown as Record<string, Fn>)[name] = (...args) => {
        void count(...args)
        return native(...args)
      }
    }
    wrap('createOffer', async () => counts.offers++)
    wrap('createAnswer', async () => counts.answers++)
    wrap('setRemoteDescription', async (d) => {
      if ((d as RTCSessionDescriptionInit | undefined)?.type !== 'rollback')
        counts.remoteDescriptions++
    })
  }
}
window.RTCPeerConnection = CountingPeerConnection

let audioContexts = 0
const NativeAudioContext = window.AudioContext
window.AudioContext = class CountingAudioContext extends NativeAudioContext {
  constructor(options?: AudioContextOptions) {
    super(options)
    audioContexts++
  }
}

/**
 * Chromium computes a remote audio track's `totalAudioEnergy` only while something plays it out:
 * every audio track we read is bound to its own unmuted `<audio>` (autoplay is allowed by flag).
 */
const players = new Map<MediaStreamTrack, HTMLAudioElement>()
function playOut(track: MediaStreamTrack): void {
  if (track.kind !== 'audio' || players.has(track)) return
  const el = document.createElement('audio')
  el.srcObject = new MediaStream([track])
  document.body.append(el)
  void el.play().catch(() => undefined)
  players.set(track, el)
}

async function inboundOf(track: MediaStreamTrack | undefined): Promise<Inbound | null> {
  if (!track) return null
  playOut(track)
  for (const { pc } of connections) {
    if (pc.connectionState === 'closed') continue
    const receiver = pc.getReceivers().find((r) => r.track === track)
    if (!receiver) continue
    const out: Inbound = {
      trackId: track.id,
      bytes: 0,
      framesDecoded: 0,
      width: 0,
      height: 0,
      audioEnergy: 0,
      framesReceived: 0,
      keyFrames: 0,
      pli: 0,
      nack: 0,
      lost: 0,
    }
    ;(await receiver.getStats()).forEach((s: Record<string, unknown>) => {
      if (s.type !== 'inbound-rtp') return
      const n = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0)
      out.bytes = n('bytesReceived')
      out.framesDecoded = n('framesDecoded')
      out.width = n('frameWidth')
      out.height = n('frameHeight')
      out.audioEnergy = n('totalAudioEnergy')
      out.framesReceived = n('framesReceived')
      out.keyFrames = n('keyFramesDecoded')
      out.pli = n('pliCount')
      out.nack = n('nackCount')
      out.lost = n('packetsLost')
    })
    return out
  }
  return null
}

// ── the controller ────────────────────────────────────────────────────────────────────────────

let call: Call | null = null
const errors: string[] = []
const spoke = new Set<string>()
const videos = new Map<string, { el: HTMLVideoElement; view: VideoView }>()
let shareTimer: ReturnType<typeof setInterval> | null = null

function need(): Call {
  if (!call) throw new Error('kib: create first')
  return call
}

function person(id: string) {
  const p = need()
    .getParticipants()
    .find((x) => x.id === id)
  if (!p) throw new Error(`kib: no participant ${id}`)
  return p
}

const ids = (s: MediaStream | null) => (s ? s.getTracks().map((t) => t.id) : null)

window.kib = {
  create(o) {
    if (call) throw new Error('kib: already created')
    call = createCall({ ...o, candidateFilter: loopbackOnly })
    call.on('speaking', (now) => now.forEach((id) => spoke.add(id)))
    call.on('error', ({ peer, error }) =>
      errors.push(`${peer ?? '-'}: ${error.code} ${error.message}`),
    )
  },
  async join(o = {}) {
    const c = need()
    await c.join(o)
    // SPEC K2 says `join` resolves once we are on the roster; today a member's resolves when it
    // holds its presence role, one round trip earlier (reported): wait for the roster here.
    const deadline = performance.now() + 5_000
    while (c.getState().status === 'connecting' && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 10))
    const self = c.getState().self
    if (c.getState().status !== 'joined' || !self)
      throw new Error(`kib: not joined: ${c.getState().status}`)
    return self
  },
  spoke: () => [...spoke],
  audioContexts: () => audioContexts,
  state() {
    const s = need().getState()
    return { status: s.status, self: s.self, camOn: s.camOn, micOn: s.micOn, sharing: s.sharing }
  },
  participants: () =>
    need()
      .getParticipants()
      .map((p) => ({
        id: p.id,
        name: p.name,
        isSelf: p.isSelf,
        camOn: p.camOn,
        micOn: p.micOn,
        kind: p.kind,
        role: p.role,
        connected: p.connected,
        speaking: p.speaking,
        stream: ids(p.stream),
        share: ids(p.shareStream),
      })),
  toggleCam: () => need().toggleCam(),
  toggleMic: () => need().toggleMic(),
  shareCanvas(w, h) {
    const canvas = document.createElement('canvas')
    canvas.width = w
    canvas.height = h
    const paint = canvas.getContext('2d')!
    let n = 0
    const draw = () => {
      paint.fillStyle = `hsl(${(n++ * 7) % 360} 80% 50%)`
      paint.fillRect(0, 0, w, h)
    }
    draw()
    if (shareTimer !== null) clearInterval(shareTimer)
    shareTimer = setInterval(draw, 50)
    need().shareTrack(canvas.captureStream(20).getVideoTracks()[0]!)
  },
  stopShare() {
    need().stopShare()
    if (shareTimer !== null) clearInterval(shareTimer)
    shareTimer = null
  },
  setGrant: (id, grant) => need().setCapabilityGrant(id, grant),
  async inbound(id) {
    const p = person(id)
    const [video, audio, share, shareAudio] = await Promise.all([
      inboundOf(p.stream?.getVideoTracks()[0]),
      inboundOf(p.stream?.getAudioTracks()[0]),
      inboundOf(p.shareStream?.getVideoTracks()[0]),
      inboundOf(p.shareStream?.getAudioTracks()[0]),
    ])
    return { video, audio, share, shareAudio }
  },
  video(id, which) {
    const key = `${id}/${which}`
    const p = person(id)
    const stream = which === 'stream' ? p.stream : p.shareStream
    let entry = videos.get(key)
    if (entry && stream && entry.el.srcObject !== stream) {
      // A new stream object (a rebuilt link): follow it.
      entry.el.srcObject = stream
      void entry.el.play().catch(() => undefined)
    }
    if (!entry && stream) {
      const el = document.createElement('video')
      el.muted = true
      el.autoplay = true
      el.playsInline = true
      el.srcObject = stream
      document.body.append(el)
      const view: VideoView = { bound: true, frames: 0, width: 0, height: 0 }
      const onFrame: VideoFrameRequestCallback = (_now, meta) => {
        view.frames++
        view.width = meta.width
        view.height = meta.height
        el.requestVideoFrameCallback(onFrame)
      }
      el.requestVideoFrameCallback(onFrame)
      void el.play().catch(() => undefined)
      entry = { el, view }
      videos.set(key, entry)
    }
    return entry ? { ...entry.view } : { bound: false, frames: 0, width: 0, height: 0 }
  },
  async outbound() {
    const out: Record<string, unknown>[] = []
    for (const [i, { pc }] of connections.entries()) {
      if (pc.connectionState === 'closed') continue
      for (const sender of pc.getSenders()) {
        const t = sender.track
        if (!t || t.kind !== 'video') continue
        const row: Record<string, unknown> = {
          pc: i,
          track: t.id.slice(0, 8),
          size: `${t.getSettings().width}x${t.getSettings().height}`,
          muted: t.muted,
          state: t.readyState,
        }
        ;(await sender.getStats()).forEach((st: Record<string, unknown>) => {
          if (st.type !== 'outbound-rtp') return
          for (const k of [
            'framesEncoded',
            'framesSent',
            'qualityLimitationReason',
            'frameWidth',
            'framesPerSecond',
            'active',
          ])
            row[k] = st[k]
        })
        out.push(row)
      }
    }
    return out
  },
  negotiation: () =>
    connections.map(({ pc, counts }) => ({ ...counts, state: pc.connectionState })),
  errors: () => [...errors],
  async leave() {
    await call?.destroy()
    call = null
  },
}
