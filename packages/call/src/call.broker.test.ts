import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startBroker, type Broker } from '@kibitz/broker'
import { AGENT_DEFAULT_GRANT, FULL_GRANT } from '@kibitz/capabilities'
import type { PeerLink, WebRtcImplementation } from '@kibitz/mesh'
import { nodeWrtc, nodeWrtcCleanup } from '@kibitz/mesh/node'
import { ErrorCode, KibitzError, createRoomId, type JsonValue } from '@kibitz/protocol'
import { waitUntil } from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCall } from './call.js'
import type { Call } from './types.js'
import type { ChatLine } from './chat.js'
import { nodeCallOptions, rawParticipant, type RawParticipant } from './testing/node.js'

/**
 * Node controllers (node-datachannel, data only) through the REAL broker in this process: the
 * data API, chat, schema discovery, capability enforcement at both ends and moderation.
 */

let broker: Broker
const open: { close(): Promise<void> }[] = []

beforeAll(async () => {
  broker = await startBroker({ port: 0, host: '127.0.0.1' })
})

afterAll(async () => {
  await Promise.all(open.map((c) => c.close().catch(() => undefined)))
  await broker?.close()
  nodeWrtcCleanup()
})

const HOST = { kind: 'name', name: 'Ann' } as const

function call(room: string, name: string, extra: Parameters<typeof nodeCallOptions>[3] = {}): Call {
  const c = createCall(nodeCallOptions(broker.url, room, name, extra))
  open.push({ close: () => c.destroy() })
  return c
}

interface Inbox {
  got: { data: JsonValue | Uint8Array; from: string }[]
  chat: ChatLine[]
}

function inbox(c: Call): Inbox {
  const box: Inbox = { got: [], chat: [] }
  c.onMessage((data, from) => box.got.push({ data, from }))
  c.on('chat', (line) => box.chat.push(line))
  return box
}

const idOf = (c: Call): string => c.getState().self!

/** Every controller has an open link to `peers` others (default: each other). */
async function meshed(calls: Call[], peers = calls.length - 1, timeoutMs = 15_000): Promise<void> {
  await waitUntil(
    () => calls.every((c) => c.connectedPeers().length === peers),
    timeoutMs,
    'full mesh',
    () => calls.map((c) => `${c.getState().status}:${c.connectedPeers().length}`).join(' '),
  )
}

describe('three controllers through the real broker', () => {
  it('broadcast, sendTo, chat (public and direct), schemas and chat history for a late joiner', async () => {
    const room = createRoomId()
    const [a, b, c] = [call(room, 'Ann'), call(room, 'Bob'), call(room, 'Cy')]
    const boxes = [a, b, c].map(inbox)
    await a.join()
    await Promise.all([b.join(), c.join()])
    // K2: join() resolves once we are on the roster, not merely connected.
    for (const x of [a, b, c]) expect(x.getState().status).toBe('joined')
    await meshed([a, b, c])
    for (const x of [a, b, c]) {
      expect(x.getState()).toMatchObject({
        status: 'joined',
        inCall: true,
        micOn: false,
        camOn: false,
      })
      expect(
        x
          .getParticipants()
          .map((p) => p.name)
          .sort(),
      ).toEqual(['Ann', 'Bob', 'Cy'])
      expect(x.getParticipants().every((p) => p.connected && p.kind === 'human')).toBe(true)
    }

    // broadcast: everyone else exactly once, never ourselves.
    ;[a, b, c].forEach((x, i) => expect(x.broadcast({ hello: i })).toBe(true))
    await waitUntil(() => boxes.every((bx) => bx.got.length === 2), 5_000, 'broadcasts')
    boxes.forEach((bx, i) => {
      expect(bx.got.map((g) => (g.data as { hello: number }).hello).sort()).toEqual(
        [0, 1, 2].filter((n) => n !== i),
      )
      expect(bx.got.some((g) => g.from === idOf([a, b, c][i]!))).toBe(false)
    })

    // sendTo: only its target; binary too.
    expect(a.sendTo(idOf(b), { secret: 'for-bob' })).toBe(true)
    expect(a.sendTo(idOf(c), new Uint8Array([1, 2, 3]))).toBe(true)
    await waitUntil(() => boxes[1]!.got.length === 3 && boxes[2]!.got.length === 3, 5_000, 'sendTo')
    expect(boxes[1]!.got[2]).toEqual({ data: { secret: 'for-bob' }, from: idOf(a) })
    const bytes = boxes[2]!.got[2]!.data
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect([...(bytes as Uint8Array)]).toEqual([1, 2, 3])
    expect(boxes[0]!.got).toHaveLength(2)

    // Chat: attribution from the roster; a direct line reaches only its target.
    a.sendChat('hello room')
    b.sendChat('psst ann', idOf(a))
    await waitUntil(() => boxes[1]!.chat.length === 1 && boxes[0]!.chat.length === 1, 5_000, 'chat')
    expect(boxes[0]!.chat.map((l) => [l.name, l.text, l.dm])).toEqual([['Bob', 'psst ann', true]])
    expect(a.getChat().map((l) => [l.name, l.text, l.isSelf])).toEqual([
      ['Ann', 'hello room', true],
      ['Bob', 'psst ann', false],
    ])
    expect(boxes[1]!.chat[0]).toMatchObject({
      name: 'Ann',
      text: 'hello room',
      dm: false,
      from: idOf(a),
    })
    await waitUntil(() => boxes[2]!.chat.length === 1, 5_000, 'chat to Cy')
    expect(boxes[2]!.chat.map((l) => l.text)).toEqual(['hello room'])

    // Schemas: registered before a late joiner arrives, discovered by it.
    a.registerSchema({ name: 'board', version: '1', schema: { type: 'object' } })
    await waitUntil(() => b.getSchemas().length === 1, 5_000, 'schema to Bob')
    const d = call(room, 'Dee')
    const seen: string[] = []
    d.onSchema((s) => seen.push(`${s.name}@${s.from}`))
    await d.join()
    await meshed([a, b, c, d])
    await waitUntil(() => d.getSchemas().length === 1, 5_000, 'schema to the late joiner')
    expect(d.getSchemas()[0]).toMatchObject({
      name: 'board',
      version: '1',
      from: idOf(a),
      isSelf: false,
    })
    expect(seen).toEqual([`board@${idOf(a)}`])
    // …and the public conversation so far (never the direct line).
    await waitUntil(() => d.getChat().length === 1, 5_000, 'history to the late joiner')
    expect(d.getChat()[0]).toMatchObject({ text: 'hello room', name: 'Ann', from: idOf(a) })

    // Bad input from the API caller: typed errors, never a crash.
    expect(() => a.sendTo('nobody', 1)).toThrowError(
      expect.objectContaining({ code: ErrorCode.NO_SUCH_PEER }),
    )
    // The app payload cap is exact: 256 KiB of JSON passes (envelope included it would not).
    const exact = { big: 'x'.repeat(256 * 1024 - '{"big":""}'.length) }
    expect(JSON.stringify(exact).length).toBe(256 * 1024)
    expect(a.sendTo(idOf(b), exact)).toBe(true)
    await waitUntil(() => boxes[1]!.got.length === 4, 5_000, 'a 256 KiB app message')
    expect(() => a.broadcast({ big: `${exact.big}x` })).toThrowError(
      expect.objectContaining({ code: ErrorCode.TOO_LARGE }),
    )
    expect(() => a.broadcast({ big: 'x'.repeat(300 * 1024) })).toThrowError(
      expect.objectContaining({ code: ErrorCode.TOO_LARGE }),
    )
    expect(() => a.broadcast({ f: (() => 1) as unknown as JsonValue })).toThrow(KibitzError)
    expect(() => a.sendChat('')).toThrow(KibitzError)
    expect(() => a.registerSchema({ name: '', version: '1', schema: {} })).toThrow(KibitzError)

    // Roster fields propagate; re-setting the same meta is a no-op (the loop guard).
    let rosterChanges = 0
    b.on('participants', () => rosterChanges++)
    a.setName('Ann B.')
    a.setMeta({ seat: 3 })
    await waitUntil(
      () => b.getParticipants().some((p) => p.name === 'Ann B.' && p.meta.seat === 3),
      5_000,
      'name and meta reach Bob',
    )
    const changesBefore = rosterChanges
    a.setMeta({ seat: 3 })
    await new Promise((r) => setTimeout(r, 300))
    expect(rosterChanges).toBe(changesBefore)

    // Leaving: the others drop us; the controller can join again.
    await c.leave()
    expect(c.getState().status).toBe('idle')
    await waitUntil(() => a.getParticipants().length === 3, 5_000, 'Cy gone')
    await c.join()
    await meshed([a, b, c, d])
  })

  it("the spec's follow-me snippet runs unchanged; two controllers follow each other without ping-pong", async () => {
    const room = createRoomId()
    const tabs = [makeTab(call(room, 'One')), makeTab(call(room, 'Two'))]
    for (const t of tabs) {
      await t.call.join()
      runFollowMe(t)
    }
    await meshed(tabs.map((t) => t.call))
    const sent = tabs.map(() => 0)
    tabs.forEach((t, i) => {
      const original = t.call.broadcast.bind(t.call)
      t.call.broadcast = (data) => {
        sent[i]!++
        return original(data)
      }
    })
    tabs[0]!.navigate('#settings')
    await waitUntil(() => tabs[1]!.location.hash === '#settings', 5_000, 'tab two follows')
    tabs[1]!.navigate('#inbox')
    await waitUntil(() => tabs[0]!.location.hash === '#inbox', 5_000, 'tab one follows')
    // Quiet for a while: no echo, no loop.
    await new Promise((r) => setTimeout(r, 300))
    expect(sent).toEqual([1, 1])
    expect(tabs.map((t) => t.location.hash)).toEqual(['#inbox', '#inbox'])
  })
})

/** `base`, telling `onLink` of every link it builds (with the options it was built with). */
function recording(
  base: WebRtcImplementation,
  onLink: (opts: { initiator: boolean }, link: PeerLink) => void,
): WebRtcImplementation {
  return {
    ...base,
    defaultLink: (o) => {
      const make = base.defaultLink!(o)
      return (opts) => {
        const link = make(opts)
        onLink(opts, link)
        return link
      }
    },
  }
}

describe('start-up', () => {
  it('a newcomer that will dial builds its spare offer (mesh M41) before its first roster; one that will answer builds none', async () => {
    const base = nodeWrtc({ bindAddress: '127.0.0.1' })
    /** Ann, then Bob joins: every link Bob builds, with what his controller knew then. */
    async function newcomer() {
      const room = createRoomId()
      const a = call(room, 'Ann')
      await a.join()
      const built: { initiator: boolean; status: string; others: number }[] = []
      let b: Call | null = null
      const wrtc = recording(base, (opts) =>
        built.push({
          initiator: opts.initiator,
          status: b?.getState().status ?? 'none',
          others: b?.getParticipants().filter((p) => !p.isSelf).length ?? -1,
        }),
      )
      b = call(room, 'Bob', {
        wrtc,
        meshOptions: { ...nodeCallOptions('', '', '').meshOptions, prewarm: true },
      })
      await b.join()
      await meshed([a, b])
      const dials = idOf(b) < idOf(a)
      await Promise.all([a.destroy(), b.destroy()])
      return { dials, built }
    }
    // Socket ids are random: join until both cases were seen (one in two per join).
    const seen = new Set<boolean>()
    for (let i = 0; i < 16 && seen.size < 2; i++) {
      const { dials, built } = await newcomer()
      seen.add(dials)
      if (dials) {
        // Bob dials Ann: his first link is the spare, an offer made while his roster named
        // nobody else yet; the link to Ann is that spare (later builds are only rebuilds).
        expect(built[0]).toMatchObject({ initiator: true, others: 0 })
        expect(built[0]!.status).not.toBe('joined')
        expect(built.every((x) => x.initiator)).toBe(true)
      } else {
        // Ann dials Bob: no spare; his first link answers her, once his roster names her.
        expect(built[0]).toMatchObject({ initiator: false, others: 1 })
      }
    }
    expect(seen.size).toBe(2)
  })
})

describe('early dial (presence R21)', () => {
  it("a newcomer's offer made before its roster is never answered while it knocks, nor kept open while it waits; admitted, it links at once", async () => {
    const base = nodeWrtc({ bindAddress: '127.0.0.1' })
    for (let i = 0; i < 16; i++) {
      const room = createRoomId()
      /** Links Ann builds, and whether Bob was admitted when she did. */
      const annBuilt: string[] = []
      let b: Call | null = null
      const wrtc = recording(base, () => annBuilt.push(b?.getState().status ?? 'none'))
      const lobbyHost = { kind: 'name', name: 'Ann', lobby: true } as const
      const a = call(room, 'Ann', { host: lobbyHost, wrtc })
      await a.join()
      /** Bob's links that are not closed (his spare and his early dial included). */
      let bobLive = 0
      b = call(room, 'Bob', {
        host: lobbyHost,
        wrtc: recording(base, (_, link) => {
          bobLive++
          link.on('close', () => bobLive--)
        }),
        meshOptions: { ...nodeCallOptions('', '', '').meshOptions, prewarm: true },
      })
      const joining = b.join()
      await waitUntil(() => a.getKnocks().length === 1, 5_000, 'Bob knocks')
      const bob = a.getKnocks()[0]!.id
      if (bob > idOf(a)) {
        // Ann would dial Bob: not the case under test. Next room.
        await Promise.all([a.destroy(), b.destroy(), joining.catch(() => undefined)])
        continue
      }
      await waitUntil(() => b.getState().status === 'waiting', 5_000, 'Bob waits')
      // Bob dialed Ann the moment the broker named her; she knew him as a knock and let it go.
      await new Promise((r) => setTimeout(r, 300))
      expect(annBuilt).toEqual([])
      expect(a.connectedPeers()).toEqual([])
      // And Bob, knowing he waits, keeps nothing open: no link, no spare offer kept warm.
      expect(bobLive).toBe(0)
      expect(a.admit(bob)).toBe(true)
      await joining
      // Within the dial wait (M10, 3 s): Bob's offer after the roster, not a recovery, links them.
      await meshed([a, b], 1, 2_500)
      expect(annBuilt.every((status) => status === 'joined')).toBe(true)
      return
    }
    throw new Error('Bob never had the smaller id in 16 rooms')
  })
})

describe('signals before the mesh', () => {
  it('an offer that rides right behind the roster, while /api/turn is still answering, is kept for the mesh', async () => {
    // A TURN endpoint that answers after 600 ms: the newcomer's mesh waits for it.
    const slowTurn = createServer((_req, res) => {
      setTimeout(() => {
        res.setHeader('content-type', 'application/json')
        res.end(JSON.stringify({ iceServers: [], configured: false, tier: 'open' }))
      }, 600)
    })
    await new Promise<void>((r) => slowTurn.listen(0, '127.0.0.1', () => r()))
    const turnHost = `http://127.0.0.1:${(slowTurn.address() as AddressInfo).port}`
    try {
      // Only when Ann dials (the smaller id) does her offer reach Bob before his mesh exists.
      for (let i = 0; i < 16; i++) {
        const room = createRoomId()
        // No recovery to fall back on inside this test (Bob's dial, M10; Ann's rebuild of a link
        // that did not open, M14): the first offer must be the one used.
        const patient = {
          ...nodeCallOptions('', '', '').meshOptions,
          dialAfterMs: 60_000,
          connectTimeoutMs: 60_000,
        }
        const a = call(room, 'Ann', { meshOptions: patient })
        await a.join()
        const b = call(room, 'Bob', { turnHost, meshOptions: patient })
        await b.join()
        if (idOf(a) < idOf(b)) {
          await meshed([a, b], 1, 3_000)
          return
        }
        await Promise.all([a.destroy(), b.destroy()])
      }
      throw new Error('Ann never had the smaller id in 16 joins')
    } finally {
      slowTurn.closeAllConnections()
      await new Promise<void>((r) => slowTurn.close(() => r()))
    }
  })
})

describe('preview and bad options', () => {
  it('preview never dials: self-view only; a data-only runtime reports missing devices as a typed error', async () => {
    const room = createRoomId()
    const p = call(room, 'Viewer', { preview: true })
    const errors: string[] = []
    p.on('error', ({ error }) => errors.push(error.code))
    await p.join({ cam: true })
    expect(p.getState()).toMatchObject({
      status: 'preview',
      inCall: false,
      self: null,
      camOn: false,
    })
    expect(p.getParticipants()).toEqual([])
    expect(errors).toEqual([ErrorCode.NOT_CONFIGURED]) // Node: no camera here
    expect(p.broadcast({ x: 1 })).toBe(false)
    // Nobody is in the room: a real joiner finds it empty and becomes its authority.
    const q = call(room, 'Real')
    await q.join()
    expect(q.getParticipants().map((x) => x.name)).toEqual(['Real'])
    expect(() => createCall(nodeCallOptions(broker.url, '!!!', 'Bad'))).toThrowError(
      expect.objectContaining({ code: ErrorCode.ROOM_INVALID }),
    )
  })
})

describe('capabilities enforced by every peer', () => {
  it("an agent's chat and app data are dropped and audited until the host widens its grant; revoked, dropped again", async () => {
    const room = createRoomId()
    const host = call(room, 'Ann', { host: HOST })
    const bob = call(room, 'Bob', { host: HOST })
    await host.join()
    await bob.join()
    const agent: RawParticipant = await rawParticipant(
      broker.url,
      room,
      'Bot',
      { role: 'agent' },
      HOST,
    )
    open.push(agent)
    const honest = call(room, 'Helper', { host: HOST, meta: { role: 'agent' } })
    await honest.join()
    const boxes = [host, bob].map(inbox)
    await meshed([host, bob, honest], 3)
    const aid = agent.id()!
    await waitUntil(
      () => host.connectedPeers().includes(aid) && bob.connectedPeers().includes(aid),
      15_000,
      'agent linked',
    )
    expect(host.getParticipants().find((p) => p.id === aid)?.kind).toBe('agent')
    expect(bob.getCapabilityGrant(aid)).toMatchObject({
      perceive: [...AGENT_DEFAULT_GRANT.perceive],
      act: [],
    })

    // The dishonest agent sends anyway: every receiver drops it and audits it.
    const spam = (n: number) => {
      agent.mesh()!.broadcast({ k: 'chat', text: `bot says ${n}`, mid: `m${n}` })
      agent.mesh()!.broadcast({ k: 'app', data: { bot: n } })
    }
    spam(1)
    await waitUntil(
      () =>
        [host, bob].every(
          (c) => c.getAgentAudit(aid).filter((e) => e.kind === 'blocked').length === 2,
        ),
      5_000,
      'blocked audited',
    )
    expect(bob.getAgentAudit(aid).map((e) => [e.capability, e.detail])).toEqual([
      ['send-chat', 'chat'],
      ['send-chat', 'app'],
    ])
    expect(boxes.every((b) => b.chat.length === 0 && b.got.length === 0)).toBe(true)
    expect(bob.getChat()).toEqual([])

    // The honest agent controller refuses locally (and audits its own attempt).
    expect(() => honest.sendChat('hi')).toThrowError(
      expect.objectContaining({ code: ErrorCode.FORBIDDEN }),
    )
    expect(() => honest.broadcast({ x: 1 })).toThrowError(
      expect.objectContaining({ code: ErrorCode.FORBIDDEN }),
    )
    expect(honest.getAgentAudit(idOf(honest))).toHaveLength(2)

    // It still perceives chat, roster and directed data.
    host.sendChat('welcome')
    bob.sendTo(aid, { direct: true })
    host.broadcast({ state: 1 })
    await waitUntil(() => agent.inbox.length === 3, 5_000, 'agent perceives')
    expect(agent.inbox.map((m) => m.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ k: 'chat', text: 'welcome' }),
        { k: 'app', data: { direct: true } },
        { k: 'app', data: { state: 1 } },
      ]),
    )

    // Only the host can change grants.
    expect(bob.setCapabilityGrant(aid, FULL_GRANT)).toBe(false)
    expect(
      host.setCapabilityGrant(aid, {
        perceive: [...AGENT_DEFAULT_GRANT.perceive],
        act: ['send-chat'],
      }),
    ).toBe(true)
    await waitUntil(
      () => bob.getCapabilityGrant(aid)?.act.includes('send-chat') === true,
      5_000,
      'grant widened',
    )
    await waitUntil(
      () => host.getCapabilityGrant(aid)?.act.includes('send-chat') === true,
      5_000,
      'host too',
    )
    const gotBefore = boxes.map((b) => b.got.length)
    const chatBefore = boxes.map((b) => b.chat.length)
    spam(2)
    await waitUntil(
      () =>
        boxes.every(
          (b, i) => b.chat.length === chatBefore[i]! + 1 && b.got.length === gotBefore[i]! + 1,
        ),
      5_000,
      'accepted',
      () => JSON.stringify({ chat: boxes.map((b) => b.chat.length), chatBefore, gotBefore }),
    )
    expect(boxes[1]!.chat.at(-1)).toMatchObject({ text: 'bot says 2', name: 'Bot', from: aid })
    expect(boxes[1]!.got.at(-1)).toEqual({ data: { bot: 2 }, from: aid })
    expect(
      bob.getAgentAudit(aid).some((e) => e.kind === 'grant-changed' && e.detail === '+send-chat'),
    ).toBe(true)

    // A content kind this build does not know (a newer peer's) is ignored: no delivery, no error.
    const errors: string[] = []
    bob.on('error', ({ error }) => errors.push(error.code))
    agent.mesh()!.sendTo(idOf(bob), { k: 'hologram', frames: 3 })
    agent.mesh()!.sendTo(idOf(bob), { k: 'app', data: { after: 'hologram' } })
    await waitUntil(
      () =>
        boxes[1]!.got.at(-1)?.data !== undefined &&
        JSON.stringify(boxes[1]!.got.at(-1)!.data) === '{"after":"hologram"}',
      5_000,
      'app after the unknown kind',
    )
    expect(boxes[1]!.got.some((g) => JSON.stringify(g.data).includes('frames'))).toBe(false)
    expect(errors).toEqual([])

    expect(host.setCapabilityGrant(aid, null)).toBe(true)
    await waitUntil(() => bob.getCapabilityGrant(aid)?.act.length === 0, 5_000, 'grant revoked')
    spam(3)
    await waitUntil(
      () => bob.getAgentAudit(aid).filter((e) => e.kind === 'blocked').length === 4,
      5_000,
      'dropped again',
    )
    expect(boxes[1]!.chat).toHaveLength(chatBefore[1]! + 1)

    // Perceive is enforced by the sender: narrow Bob to no read-chat; chat and broadcasts skip him.
    const bid = idOf(bob)
    host.setCapabilityGrant(bid, {
      perceive: ['read-roster', 'receive-directed'],
      act: [...FULL_GRANT.act],
    })
    await waitUntil(
      () => host.getCapabilityGrant(bid)?.perceive.includes('read-chat') === false,
      5_000,
      'narrowed',
    )
    const before = { chat: boxes[1]!.chat.length, got: boxes[1]!.got.length }
    host.sendChat('not for bob')
    host.broadcast({ room: 'state' })
    host.sendTo(bid, { marker: true }) // directed data he may perceive: arrives after, on the same ordered link
    await waitUntil(() => boxes[1]!.got.length === before.got + 1, 5_000, 'marker')
    expect(boxes[1]!.got.at(-1)!.data).toEqual({ marker: true })
    expect(boxes[1]!.chat.length).toBe(before.chat)
  })
})

describe('moderation through the controller', () => {
  it('lobby, admit, deny, remove, lock and reset', async () => {
    const room = createRoomId()
    const host = call(room, 'Ann', { host: HOST })
    const bob = call(room, 'Bob', { host: HOST })
    await host.join()
    await bob.join()
    await meshed([host, bob])
    const bobBox = inbox(bob)
    const resets: number[] = []
    bob.on('reset', () => resets.push(1))

    expect(bob.setLobby(true)).toBe(false) // not the host
    expect(host.setLobby(true)).toBe(true)
    await waitUntil(() => bob.getState().lobbyOn, 5_000, 'lobby on everywhere')

    const fay = call(room, 'Fay', { host: HOST })
    const knocks: number[] = []
    host.on('knocks', (k) => knocks.push(k.length))
    await fay.join()
    await waitUntil(() => fay.getState().status === 'waiting', 5_000, 'Fay waits')
    await waitUntil(() => host.getKnocks().length === 1, 5_000, 'knock queued')
    expect(host.getKnocks()[0]!.name).toBe('Fay')
    expect(fay.getParticipants()).toEqual([])
    expect(host.admit(host.getKnocks()[0]!.id)).toBe(true)
    await waitUntil(() => fay.getState().status === 'joined', 5_000, 'Fay admitted')
    await meshed([host, bob, fay])
    expect(knocks).toContain(1)

    const gus = call(room, 'Gus', { host: HOST })
    await gus.join()
    await waitUntil(() => host.getKnocks().length === 1, 5_000, 'Gus knocks')
    host.deny(host.getKnocks()[0]!.id)
    await waitUntil(() => gus.getState().status === 'refused', 5_000, 'Gus denied')
    expect(gus.getState().lobbyStatus).toBe('denied')

    host.remove(idOf(fay))
    await waitUntil(() => fay.getState().status === 'refused', 5_000, 'Fay removed')
    await waitUntil(() => bob.getParticipants().length === 2, 5_000, 'Fay gone for Bob')

    host.setLobby(false)
    host.setLocked(true)
    await waitUntil(() => bob.getState().locked, 5_000, 'locked everywhere')
    const hal = call(room, 'Hal', { host: HOST })
    await hal.join()
    await waitUntil(() => hal.getState().status === 'refused', 5_000, 'Hal locked out')
    expect(hal.getState().lobbyStatus).toBe('locked')

    host.sendChat('before the reset')
    await waitUntil(() => bobBox.chat.length === 1, 5_000, 'chat')
    expect(host.resetRoom()).toBe(true)
    await waitUntil(() => resets.length === 1 && bob.getChat().length === 0, 5_000, 'reset')
  })
})

// ── the follow-me snippet (spec 002 §3), verbatim ───────────────────────────────────────────

const FOLLOW_ME = `
const call = Kibitz.mount({ room })
let applyingRemote = false // guard so a move we're applying doesn't echo back

// tell everyone where I just went
addEventListener('hashchange', () => {
  if (!applyingRemote) call.broadcast({ kind: 'route', route: location.hash })
})

// follow someone else's move
call.onMessage((data) => {
  if (data?.kind !== 'route' || location.hash === data.route) return
  applyingRemote = true
  location.hash = data.route // fires hashchange → your router updates the page
  setTimeout(() => (applyingRemote = false), 0)
})
`

interface Tab {
  call: Call
  location: { hash: string }
  events: EventTarget
  navigate(hash: string): void
}

/** A pretend browser tab: `location.hash` fires `hashchange` as a queued task, as browsers do. */
function makeTab(c: Call): Tab {
  const events = new EventTarget()
  let hash = ''
  const location = {
    get hash() {
      return hash
    },
    set hash(v: string) {
      if (v === hash) return
      hash = v
      setTimeout(() => events.dispatchEvent(new Event('hashchange')), 0)
    },
  }
  return {
    call: c,
    location,
    events,
    navigate(h) {
      location.hash = h
    },
  }
}

function runFollowMe(tab: Tab): void {
  const Kibitz = { mount: () => tab.call }
  const addEventListener = (type: string, cb: () => void) => tab.events.addEventListener(type, cb)
  new Function('Kibitz', 'room', 'addEventListener', 'location', FOLLOW_ME)(
    Kibitz,
    tab.call.room,
    addEventListener,
    tab.location,
  )
}
