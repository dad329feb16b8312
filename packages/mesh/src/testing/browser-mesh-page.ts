import type { JsonValue } from '@kibitz/protocol'
import { loopbackOnly } from '../candidates.js'
import type { CloseReason } from '../events.js'
import { createMesh, type Mesh } from '../mesh.js'
import {
  joinBrokerSignaling,
  type PageBrokerSignaling,
  type SignalCounts,
} from './browser-broker.js'

/**
 * The page side of mesh.browser.test.ts (bundled with @kibitz/test-utils' `bundleForBrowser`): a
 * mesh on the browser's own WebRTC, signaled through the real broker, driven through `window.kib`.
 * Everything `kib` returns is plain JSON so `page.evaluate` can carry it.
 */

/** A received message: JSON as is; binary as its size and SHA-256 (hex; null while hashing). */
export type ReceivedMessage =
  | { from: string; json: JsonValue }
  | { from: string; binary: { bytes: number; sha256: string | null } }

export interface KibPage {
  /** Join `room` through the broker at `url` and start an empty mesh; resolves to our id. */
  join(url: string, room: string): Promise<string>
  /** Our id (the broker's socket id), or null before `join`. */
  self(): string | null
  /** The roster, handed over by the test (presence's job in production). */
  setPeers(ids: string[]): void
  broadcast(data: JsonValue): number
  sendTo(id: string, data: JsonValue): void
  /** Send `bytes` random bytes to `id`; resolves to their SHA-256 (hex). */
  sendRandom(id: string, bytes: number): Promise<string>
  received(): ReceivedMessage[]
  connected(): string[]
  /** The mesh's `open` / `close` events so far, and `error` codes. */
  events(): {
    open: string[]
    close: { peer: string; reason: CloseReason }[]
    errors: { peer: string | null; code: string }[]
  }
  /** Signals sent and received through the broker, by type; frames dropped or refused. */
  signals(): SignalCounts & { dropped: string[] }
  leave(): Promise<void>
}

declare global {
  interface Window {
    kib: KibPage
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // Never a SharedArrayBuffer here (the mesh and getRandomValues allocate plain buffers).
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function randomBytes(size: number): Uint8Array {
  const out = new Uint8Array(size)
  // getRandomValues fills at most 64 KiB per call.
  for (let at = 0; at < size; at += 65_536) crypto.getRandomValues(out.subarray(at, at + 65_536))
  return out
}

let carrier: PageBrokerSignaling | null = null
let mesh: Mesh | null = null
const inbox: ReceivedMessage[] = []
const opened: string[] = []
const closed: { peer: string; reason: CloseReason }[] = []
const errors: { peer: string | null; code: string }[] = []

function need(): Mesh {
  if (!mesh) throw new Error('kib: join first')
  return mesh
}

window.kib = {
  async join(url, room) {
    if (mesh) throw new Error('kib: already joined')
    carrier = await joinBrokerSignaling(url, room)
    mesh = createMesh({
      self: carrier.self,
      signaling: carrier.signaling,
      wrtc: { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate },
      iceServers: [],
      candidateFilter: loopbackOnly,
    })
    mesh.onMessage((data, from) => {
      if (!(data instanceof Uint8Array)) return void inbox.push({ from, json: data })
      const entry = { from, binary: { bytes: data.byteLength, sha256: null as string | null } }
      inbox.push(entry)
      void sha256Hex(data).then((hex) => (entry.binary.sha256 = hex))
    })
    mesh.on('open', ({ peer }) => opened.push(peer))
    mesh.on('close', ({ peer, reason }) => closed.push({ peer, reason }))
    mesh.on('error', ({ peer, error }) => errors.push({ peer, code: error.code }))
    return carrier.self
  },
  self: () => carrier?.self ?? null,
  setPeers: (ids) => need().setPeers(ids),
  broadcast: (data) => need().broadcast(data),
  sendTo: (id, data) => need().sendTo(id, data),
  async sendRandom(id, bytes) {
    const payload = randomBytes(bytes)
    const hex = await sha256Hex(payload)
    need().sendTo(id, payload)
    return hex
  },
  received: () => inbox.map((m) => ('json' in m ? m : { from: m.from, binary: { ...m.binary } })),
  connected: () => mesh?.connectedPeers() ?? [],
  events: () => ({ open: [...opened], close: [...closed], errors: [...errors] }),
  signals: () => ({
    sent: { ...carrier?.counts.sent },
    received: { ...carrier?.counts.received },
    dropped: [...(carrier?.dropped ?? [])],
  }),
  async leave() {
    await mesh?.close()
    carrier?.close()
    mesh = null
    carrier = null
  },
}
