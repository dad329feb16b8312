import { createMesh, loopbackOnly, type Mesh, type MeshValue } from '@kibitz/mesh'
import { nodeWrtc, NODE_ICE_COMPLETE_TIMEOUT_MS } from '@kibitz/mesh/node'
import { createRoom, type HostTier, type Room } from '@kibitz/presence'
import { connectBroker } from '@kibitz/presence/socket-io'
import type { CallOptions } from '../types.js'

/** Fast presence timing for tests (reap a vanished peer in ~1.5 s). */
export const TEST_TIMING = { pingMs: 250, reapMs: 1500, freezeGuardMs: 1000 }

const wrtc = nodeWrtc({ bindAddress: '127.0.0.1' })

/**
 * On loopback a link not open after 5 s is stuck (one such link, with nothing logged, failed a
 * CI run): the recovery ladder (mesh M14) rebuilds it well inside a test's 15 s wait, where the
 * 15 s default would fire just as the wait gives up.
 */
const LOOPBACK_CONNECT_TIMEOUT_MS = 5_000

/** Options for a data-only Node controller on loopback through the broker at `signalHost`. */
export function nodeCallOptions(
  signalHost: string,
  room: string,
  name: string,
  extra: Partial<CallOptions> = {},
): CallOptions {
  return {
    room,
    name,
    signalHost,
    wrtc,
    candidateFilter: loopbackOnly,
    timing: TEST_TIMING,
    meshOptions: {
      iceCompleteTimeoutMs: NODE_ICE_COMPLETE_TIMEOUT_MS,
      connectTimeoutMs: LOOPBACK_CONNECT_TIMEOUT_MS,
    },
    ...extra,
  }
}

/**
 * A participant built from presence + mesh directly, without the controller's own checks: it
 * sends whatever it is told to. Tests use it as a dishonest peer (e.g. an agent that sends chat
 * without `send-chat`) to prove every receiver enforces the grant.
 */
export interface RawParticipant {
  room: Room
  mesh(): Mesh | null
  id(): string | null
  inbox: { data: MeshValue; from: string }[]
  close(): Promise<void>
}

export async function rawParticipant(
  signalHost: string,
  roomId: string,
  name: string,
  meta: Record<string, unknown>,
  host?: HostTier,
): Promise<RawParticipant> {
  const room = createRoom({
    room: roomId,
    connect: (tag) => connectBroker(signalHost, tag, { handshake: { claim: true } }),
    name,
    meta,
    timing: TEST_TIMING,
    ...(host ? { host } : {}),
  })
  let mesh: Mesh | null = null
  const inbox: RawParticipant['inbox'] = []
  const sync = (): void => {
    const s = room.getSnapshot()
    if (s.phase !== 'joined' || !s.self) return
    if (!mesh) {
      mesh = createMesh({
        self: s.self,
        signaling: {
          send: (to, m) => room.sendSignal(to, m),
          onSignal: (cb) => room.on('signal', ({ from, message }) => cb(from, message)),
        },
        wrtc,
        candidateFilter: loopbackOnly,
        iceCompleteTimeoutMs: NODE_ICE_COMPLETE_TIMEOUT_MS,
        connectTimeoutMs: LOOPBACK_CONNECT_TIMEOUT_MS,
      })
      mesh.onMessage((data, from) => inbox.push({ data, from }))
    }
    mesh.setPeers(s.participants.filter((p) => !p.isSelf).map((p) => p.id))
  }
  room.subscribe(sync)
  await room.start()
  sync()
  return {
    room,
    mesh: () => mesh,
    id: () => room.getSnapshot().self,
    inbox,
    async close() {
      await mesh?.close()
      await room.leave()
    },
  }
}
