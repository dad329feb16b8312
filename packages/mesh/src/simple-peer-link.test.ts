import { afterAll, describe, expect, it } from 'vitest'
import { loopbackOnly } from './candidates.js'
import { createMesh, type Mesh } from './mesh.js'
import { NODE_ICE_COMPLETE_TIMEOUT_MS, nodeWrtc, nodeWrtcCleanup } from './node-wrtc.js'
import type { MeshValue } from './payload.js'
import { simplePeerLinkFactory } from './simple-peer-link.js'
import { createSignalHub, sdpSetups } from './testing/hub.js'
import { bytes } from './testing/link-pair.js'
import { waitFor } from './testing/wait.js'

// `@kibitz/mesh/simple-peer`, Node's default link (M40), on its own: two meshes on real
// node-datachannel with an explicit factory.
const meshes: Mesh[] = []

afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()))
  nodeWrtcCleanup()
})

describe('the simple-peer link', () => {
  it('two meshes connect, carry JSON and a chunked binary both ways; the offerer is the DTLS client (M42)', async () => {
    const hub = createSignalHub()
    const wrtc = nodeWrtc({ bindAddress: '127.0.0.1' })
    const inbox = new Map<string, { data: MeshValue; from: string }[]>()
    for (const id of ['s-a', 's-b']) {
      const mesh = createMesh({
        self: id,
        signaling: hub.endpoint(id),
        iceServers: [],
        byeFlushMs: 100,
        createLink: simplePeerLinkFactory({
          wrtc,
          candidateFilter: loopbackOnly,
          iceCompleteTimeoutMs: NODE_ICE_COMPLETE_TIMEOUT_MS,
        }),
      })
      meshes.push(mesh)
      inbox.set(id, [])
      mesh.onMessage((data, from) => inbox.get(id)!.push({ data, from }))
    }
    for (const m of meshes) m.setPeers(['s-a', 's-b'])
    await waitFor(() => meshes.every((m) => m.connectedPeers().length === 1), 15_000, 'linked')
    meshes[0]!.sendTo('s-b', { hello: 'b' })
    meshes[1]!.sendTo('s-a', bytes(300_000, 11))
    await waitFor(
      () => inbox.get('s-a')!.length === 1 && inbox.get('s-b')!.length === 1,
      10_000,
      'messages',
    )
    expect(inbox.get('s-b')![0]).toEqual({ data: { hello: 'b' }, from: 's-a' })
    expect(inbox.get('s-a')![0]!.data).toEqual(bytes(300_000, 11))
    expect(sdpSetups(hub)).toEqual(['answer a=setup:passive', 'offer a=setup:active'])
  })
})
