import { Emitter, type KibitzError } from '@kibitz/protocol'
import { afterAll, describe, expect, it } from 'vitest'
import { createMesh, type Mesh, type MeshOptions } from './mesh.js'
import type { LinkStats, PeerLink, PeerLinkEvents, PeerLinkOptions } from './peer-link.js'
import { waitFor } from './testing/wait.js'

/**
 * The recovery ladder's media rungs with scripted links (no WebRTC): the relay-only retry (M38)
 * and the media-health rebuild bound (M36). Real media runs in media-health.test.ts.
 */

const TURN: RTCIceServer[] = [{ urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'p' }]
const STUN: RTCIceServer[] = [{ urls: 'stun:127.0.0.1:3478' }]
const meshes: Mesh[] = []
afterAll(async () => {
  await Promise.all(meshes.map((m) => m.close()))
})

interface Script {
  /** Does the n-th link (0-based) open, or fail right away? */
  opens: (n: number) => boolean
  /** Inbound media bytes the n-th link reports now (null: the remote sends no media). */
  bytes?: (n: number) => number | null
}

interface ScriptedLink extends PeerLink {
  fail(): void
}

function scripted(script: Script) {
  const calls: PeerLinkOptions[] = []
  const links: ScriptedLink[] = []
  const factory = (options: PeerLinkOptions): PeerLink => {
    const n = calls.push(options) - 1
    const events = new Emitter<PeerLinkEvents>()
    let open = false
    let closed = false
    const close = () => {
      if (closed) return
      closed = true
      open = false
      events.emit('close', {})
    }
    const bytes = () => script.bytes?.(n) ?? null
    const link: ScriptedLink = {
      initiator: options.initiator,
      get connected() {
        return open
      },
      bufferedAmount: 0,
      signal: () => {},
      send: () => {},
      on: (event, cb) => events.on(event, cb),
      destroy: () => setTimeout(close, 0),
      fail: close,
      getStats: async (): Promise<LinkStats> => {
        const b = bytes()
        return {
          path: 'direct',
          localCandidateType: 'host',
          remoteCandidateType: 'host',
          rttMs: 1,
          loss: 0,
          media:
            b === null ? null : { bytesReceived: b, packetsReceived: 0, packetsLost: 0, lanes: {} },
        }
      },
      ...(options.media
        ? {
            media: {
              setTrack: () => {},
              track: () => null,
              remoteSends: bytes() !== null,
            },
          }
        : {}),
    }
    links.push(link)
    setTimeout(() => {
      if (closed) return
      if (script.opens(n)) {
        open = true
        events.emit('open', {})
      } else close()
    }, 0)
    return link
  }
  return { calls, links, factory }
}

function mesh(factory: MeshOptions['createLink'], options: Partial<MeshOptions> = {}) {
  const errors: KibitzError[] = []
  const m = createMesh({
    self: 'a',
    signaling: { send: () => true, onSignal: () => () => {} },
    createLink: factory,
    statsIntervalMs: 0,
    maxAttempts: 3,
    ...options,
  })
  m.on('error', ({ error }) => errors.push(error))
  meshes.push(m)
  m.setPeers(['a', 'b']) // we hold the smaller id: we initiate
  return { m, errors }
}

const policies = (calls: PeerLinkOptions[]) => calls.map((c) => c.iceTransportPolicy)

describe('relay-only retry rung (M38)', () => {
  it('after relayRetryAfter failed links the initiator retries relay-only, when TURN exists', async () => {
    const { calls, factory } = scripted({ opens: () => false })
    const { m, errors } = mesh(factory, { iceServers: TURN, relayRetryAfter: 2 })
    await waitFor(() => errors.some((e) => /gave up/.test(e.message)), 5_000, 'give up')
    expect(policies(calls)).toEqual(['all', 'all', 'relay', 'relay'])
    expect(m.stats('b')!.iceTransportPolicy).toBe('relay')
    expect(calls.every((c) => c.iceServers === calls[0]!.iceServers)).toBe(true)
  })

  it('never goes relay-only without a TURN server, or with the rung off', async () => {
    const runs = [
      { iceServers: [] },
      { iceServers: STUN },
      { iceServers: TURN, relayRetryAfter: 0 },
    ].map((options) => {
      const { calls, factory } = scripted({ opens: () => false })
      return { options, calls, ...mesh(factory, options) }
    })
    for (const { options, calls, errors } of runs) {
      await waitFor(() => errors.some((e) => /gave up/.test(e.message)), 5_000, 'give up')
      expect(policies(calls), JSON.stringify(options)).toEqual(['all', 'all', 'all', 'all'])
    }
  })

  it('a link that opens resets the ladder: the next rebuild is direct again', async () => {
    const { calls, links, factory } = scripted({ opens: (n) => n >= 2 })
    const { m } = mesh(factory, { iceServers: TURN, relayRetryAfter: 2 })
    await waitFor(() => m.connectedPeers().includes('b'), 5_000, 'relay link opens')
    expect(policies(calls)).toEqual(['all', 'all', 'relay'])
    links[2]!.fail() // the open relay link drops
    await waitFor(() => calls.length === 4, 5_000, 'rebuild')
    expect(calls[3]!.iceTransportPolicy).toBe('all')
  })
})

describe('media health rebuilds are bounded (M36)', () => {
  const media = { placeholder: () => null }

  it('a link whose inbound media never grows is rebuilt, at most maxAttempts times in a row', async () => {
    const { calls, factory } = scripted({ opens: () => true, bytes: () => 0 })
    const { m, errors } = mesh(factory, { media, mediaStallMs: 60, iceServers: TURN })
    await waitFor(() => errors.some((e) => /keeping the link/.test(e.message)), 5_000, 'bound')
    expect(calls).toHaveLength(4) // the first link + 3 rebuilds
    // Stalls count toward the relay rung too (default relayRetryAfter: 2).
    expect(policies(calls)).toEqual(['all', 'all', 'relay', 'relay'])
    expect(errors.filter((e) => /no media from b for 60 ms/.test(e.message))).toHaveLength(3)
    expect(m.stats('b')!.mediaStalls).toBe(3)
    await new Promise((r) => setTimeout(r, 300)) // 5 stall windows: no further rebuild
    expect(calls).toHaveLength(4)
    expect(m.connectedPeers()).toEqual(['b']) // the data link is kept
  })

  it('never judges a link whose remote sends no media, or whose media grows', async () => {
    let grow = 0
    for (const bytes of [() => null, () => (grow += 1_000)]) {
      const { calls, factory } = scripted({ opens: () => true, bytes })
      const { m, errors } = mesh(factory, { media, mediaStallMs: 40 })
      await waitFor(() => m.connectedPeers().includes('b'), 5_000, 'open')
      await new Promise((r) => setTimeout(r, 250))
      expect(calls).toHaveLength(1)
      expect(errors).toEqual([])
    }
  })
})
