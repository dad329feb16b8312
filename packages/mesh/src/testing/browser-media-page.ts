import type { MediaLane, SignalMessage } from '@kibitz/protocol'
import { browserPlaceholders } from '../browser-placeholders.js'
import { loopbackOnly } from '../candidates.js'
import { createMesh, type Mesh } from '../mesh.js'
import type { MeshSignaling } from '../signaling.js'

/**
 * The page side of media.browser.test.ts (bundled with @kibitz/test-utils' `bundleForBrowser`):
 * two meshes with media in one page, on Chromium's own WebRTC, signaled through an in-page hub.
 * Driven through `window.kibMedia`; everything it returns is plain JSON.
 */

export interface LaneFacts {
  bytes: number
  width: number | null
  height: number | null
}

export interface KibMediaPage {
  /** alice and bob join with browser placeholders and connect; alice gates bob on `gate` first. */
  start(gate: MediaLane[]): Promise<void>
  /** Fake camera (320×240) or microphone on `who`'s lane; null → the placeholder. */
  setTrack(who: string, lane: MediaLane, source: 'camera' | 'mic' | null): Promise<void>
  setGate(who: string, peer: string, lanes: MediaLane[]): void
  /** What `who` receives from `peer`: live lanes, inbound media per lane, renegotiations. */
  facts(
    who: string,
    peer: string,
  ): Promise<{
    live: MediaLane[]
    lanes: Partial<Record<MediaLane, LaneFacts>>
    renegotiations: number
    policy: string
  }>
  /** Size of the remote camera in a `<video>` bound to `remoteStream(peer)`. */
  videoSize(who: string, peer: string): { width: number; height: number; tracks: number }
  /**
   * The placeholders as made by `browserPlaceholders()`; `audioGenerated`: the audio one is a
   * track generator's; `audioFallback`: the `AudioContext` silence, as made where there is none.
   */
  placeholderFacts(): {
    video: unknown
    audio: unknown
    audioGenerated: boolean
    audioFallback: unknown
  }
  sdpSent(): number
  errors(): string[]
  stop(): Promise<void>
}

declare global {
  interface Window {
    kibMedia: KibMediaPage
  }
}

const listeners = new Map<string, (from: string, message: SignalMessage) => void>()
let sdpSent = 0
function hub(self: string): MeshSignaling {
  return {
    send(to, message) {
      if (message.t === 'sdp') sdpSent++
      const copy = JSON.parse(JSON.stringify(message)) as SignalMessage
      setTimeout(() => listeners.get(to)?.(self, copy), 0)
      return true
    },
    onSignal(cb) {
      listeners.set(self, cb)
      return () => void listeners.delete(self)
    },
  }
}

const placeholders = browserPlaceholders({ repaintMs: 100 })
const meshes = new Map<string, Mesh>()
const errors: string[] = []
const videos = new Map<string, HTMLVideoElement>()
let camera: MediaStream | null = null
let mic: MediaStream | null = null

function mesh(who: string): Mesh {
  const m = meshes.get(who)
  if (!m) throw new Error(`no mesh ${who}`)
  return m
}

window.kibMedia = {
  async start(gate) {
    for (const id of ['alice', 'bob']) {
      const m = createMesh({
        self: id,
        signaling: hub(id),
        wrtc: { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, MediaStream },
        iceServers: [],
        candidateFilter: loopbackOnly,
        media: { placeholder: placeholders.placeholder },
      })
      m.on('error', ({ peer, error }) =>
        errors.push(`${id}→${peer}: ${error.code} ${error.message}`),
      )
      meshes.set(id, m)
    }
    mesh('alice').setGate('bob', gate)
    for (const m of meshes.values()) m.setPeers(['alice', 'bob'])
    const deadline = Date.now() + 10_000
    while ([...meshes.values()].some((m) => m.connectedPeers().length !== 1)) {
      if (Date.now() > deadline) throw new Error('media meshes did not connect')
      await new Promise((r) => setTimeout(r, 10))
    }
  },
  async setTrack(who, lane, source) {
    if (source === 'camera') {
      camera ??= await navigator.mediaDevices.getUserMedia({
        video: { width: { exact: 320 }, height: { exact: 240 } },
      })
      mesh(who).setTrack(lane, camera.getVideoTracks()[0]!)
    } else if (source === 'mic') {
      mic ??= await navigator.mediaDevices.getUserMedia({ audio: true })
      mesh(who).setTrack(lane, mic.getAudioTracks()[0]!)
    } else mesh(who).setTrack(lane, null)
  },
  setGate: (who, peer, lanes) => mesh(who).setGate(peer, lanes),
  async facts(who, peer) {
    const stats = await mesh(who).sampleStats(peer)
    const remote = mesh(who).remoteTracks(peer) ?? {}
    const lanes: Partial<Record<MediaLane, LaneFacts>> = {}
    for (const [lane, s] of Object.entries(stats?.connection?.media?.lanes ?? {})) {
      lanes[lane as MediaLane] = {
        bytes: s.bytesReceived,
        width: s.frameWidth,
        height: s.frameHeight,
      }
    }
    return {
      live: Object.entries(remote)
        .filter(([, t]) => t !== null)
        .map(([lane]) => lane as MediaLane),
      lanes,
      renegotiations: stats?.renegotiations ?? -1,
      policy: stats?.iceTransportPolicy ?? '',
    }
  },
  videoSize(who, peer) {
    const key = `${who}<${peer}`
    let video = videos.get(key)
    const stream = mesh(who).remoteStream(peer)
    if (!video && stream) {
      video = document.createElement('video')
      video.muted = true
      video.autoplay = true
      video.srcObject = stream
      document.body.append(video)
      videos.set(key, video)
    }
    return {
      width: video?.videoWidth ?? 0,
      height: video?.videoHeight ?? 0,
      tracks: stream?.getTracks().length ?? 0,
    }
  },
  placeholderFacts() {
    const describe = (t: MediaStreamTrack | null) =>
      t && { kind: t.kind, readyState: t.readyState, settings: t.getSettings() }
    const Generator = (globalThis as { MediaStreamTrackGenerator?: new () => unknown })
      .MediaStreamTrackGenerator
    const audio = placeholders.placeholder('audio')
    const fallback = browserPlaceholders({ MediaStreamTrackGenerator: null })
    const facts = {
      video: describe(placeholders.placeholder('video')),
      audio: describe(audio),
      audioGenerated: typeof Generator === 'function' && audio instanceof Generator,
      audioFallback: describe(fallback.placeholder('audio')),
    }
    fallback.stop()
    return facts
  },
  sdpSent: () => sdpSent,
  errors: () => [...errors],
  async stop() {
    await Promise.all([...meshes.values()].map((m) => m.close()))
    placeholders.stop()
    for (const s of [camera, mic]) s?.getTracks().forEach((t) => t.stop())
  },
}
