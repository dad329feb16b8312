import { createHash, randomBytes } from 'node:crypto'
import { startBroker, type Broker } from '@kibitz/broker'
import { deriveRoomKeys, type RoomKeys } from '@kibitz/protocol'
import { connectClient, type BrokerTestClient } from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMesh, type Mesh } from './mesh.js'
import { loopbackOnly, nodeWrtc, nodeWrtcCleanup } from './node-wrtc.js'
import type { MeshValue } from './payload.js'
import { sealedBrokerSignaling } from './testing/sealed-broker-signaling.js'
import { waitFor } from './testing/wait.js'

// Six participants: WebRTC (node-datachannel, 127.0.0.1) signaled through the REAL broker, every
// signal sealed with the room key; participant ids are the broker's socket ids.
const N = 6
let broker: Broker
let keys: RoomKeys
const clients: BrokerTestClient[] = []
const adapters: { close(): void }[] = []
const meshes: Mesh[] = []
const got: { data: MeshValue; from: string }[][] = []
const dropped: string[] = []

beforeAll(async () => {
  broker = await startBroker({ port: 0, host: '127.0.0.1' })
  const derived = await deriveRoomKeys('mesh-broker-test-room')
  if (!derived.ok) throw derived.error
  keys = derived.value
  const wrtc = nodeWrtc({ bindAddress: '127.0.0.1' })
  for (let i = 0; i < N; i++) {
    const client = await connectClient(broker.url)
    const joined = await client.join(keys.tag)
    if (!joined.ok) throw joined.error
    clients.push(client)
    const signaling = sealedBrokerSignaling(client, keys, (r) => dropped.push(r))
    adapters.push(signaling)
    const mesh = createMesh({
      self: client.id,
      signaling,
      wrtc,
      iceServers: [],
      candidateFilter: loopbackOnly,
    })
    const inbox: { data: MeshValue; from: string }[] = []
    mesh.onMessage((data, from) => inbox.push({ data, from }))
    meshes.push(mesh)
    got.push(inbox)
  }
})

afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()))
  for (const a of adapters) a.close()
  for (const c of clients) c.close()
  await broker?.close()
  nodeWrtcCleanup()
})

describe('mesh over the real broker', () => {
  it('6 participants: everyone reaches everyone, sendTo reaches only its target (M1, M4)', async () => {
    const ids = clients.map((c) => c.id)
    const started = Date.now()
    for (const m of meshes) m.setPeers(ids)
    await waitFor(
      () => meshes.every((m) => m.connectedPeers().length === N - 1),
      15_000,
      'full mesh over the broker',
    )
    console.log(
      `[mesh.broker] 6-peer mesh via sealed broker signaling up in ${Date.now() - started} ms`,
    )

    meshes.forEach((m, i) => m.broadcast({ hello: ids[i]! }))
    meshes.forEach((m, i) => m.sendTo(ids[(i + 1) % N]!, { secret: i }))
    await waitFor(() => got.every((inbox) => inbox.length === N), 5_000, 'messages')
    got.forEach((inbox, i) => {
      const hellos = inbox.filter((g) => 'hello' in (g.data as object))
      expect(hellos.map((g) => g.from).sort()).toEqual(ids.filter((id) => id !== ids[i]).sort())
      for (const h of hellos) expect(h.data).toEqual({ hello: h.from })
      const secrets = inbox.filter((g) => 'secret' in (g.data as object))
      expect(secrets).toEqual([{ data: { secret: (i + N - 1) % N }, from: ids[(i + N - 1) % N] }])
    })
    expect(dropped).toEqual([])
    // Everything the broker routed was sealed: no SDP or candidate in clear.
    const routed = clients.flatMap((c) => c.received.frames)
    expect(routed.length).toBeGreaterThan(0)
    for (const frame of routed) {
      const text = Buffer.from(frame.payload).toString('latin1')
      expect(text).not.toMatch(/v=0|candidate|"t":/)
    }
  })

  it('a 50 MB sendTo between two broker-signaled participants arrives intact (M22, M24)', async () => {
    const payload = randomBytes(50_000_000)
    const want = createHash('sha256').update(payload).digest('hex')
    const before = got[5]!.length
    const t0 = performance.now()
    meshes[0]!.sendTo(clients[5]!.id, payload)
    await waitFor(() => got[5]!.length === before + 1, 20_000, '50 MB')
    const seconds = (performance.now() - t0) / 1000
    const data = got[5]![before]!.data as Uint8Array
    expect(createHash('sha256').update(data).digest('hex')).toBe(want)
    console.log(
      `[mesh.broker] 50 MB in ${seconds.toFixed(2)} s = ${(50 / seconds).toFixed(1)} MB/s`,
    )
  }, 30_000)
})
