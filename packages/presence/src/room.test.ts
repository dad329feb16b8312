/**
 * Deterministic per-rule tests of the room engine (SPEC R2–R20) on the in-memory bus with a manual
 * clock and seeded randomness: every test is a timeline, and the same run replays the same way.
 * Tests marked "Regression" reproduce engine bugs these tests found (all fixed); the comment says
 * what was wrong.
 */
import {
  deriveRoomKeys,
  encodePresence,
  ENGINE_VERSION,
  FEATURES,
  identityHash,
  PROTOCOL_VERSION,
  seal,
  utf8,
  type Clock,
  type PresenceMessage,
  type RoomKeys,
} from '@kibitz/protocol'
import { afterEach, describe, expect, test } from 'vitest'
import { createLocalBus, type LocalBus } from './local-bus.js'
import { createRoom, type Room } from './room.js'
import {
  createFreezableClock,
  createManualClock,
  type FreezableClock,
  type ManualClock,
} from './testing/clock.js'
import { createSeededRandom } from './testing/random.js'
import type { RoomTransport } from './transport.js'
import type {
  AdmissionGate,
  HostTier,
  Participant,
  PresenceTiming,
  RoomEvents,
  RoomSnapshot,
} from './types.js'

const TIMING: PresenceTiming = {
  pingMs: 500,
  reapMs: 3000,
  freezeGuardMs: 1500,
  gateTimeoutMs: 2000,
}
const ROOM = 'rules-room'

// ── harness ──────────────────────────────────────────────────────────────────────────────────

interface SpawnOptions {
  identity?: string
  avatar?: string
  meta?: Record<string, unknown>
  cam?: boolean
  mic?: boolean
  gate?: AdmissionGate
  clock?: Clock
  room?: string
}

interface Peer {
  name: string
  identity: string
  room: Room
  transport: RoomTransport | null
  /** Every event this peer's room emitted, in order. */
  events: { [K in keyof RoomEvents]: RoomEvents[K][] }
  /** Rejection of `start()`, if any. */
  startError: unknown
  /** Clock time `start()` resolved (its heartbeat runs every pingMs from then). */
  startedAt: number | null
}

interface World {
  clock: ManualClock
  bus: LocalBus
  peers: Peer[]
  /** Socket ids that ever appeared on any peer's roster. */
  everRostered: Set<string>
  /** Invariant breaches seen on any snapshot (a waiting peer holding a roster, R6 / R13). */
  violations: string[]
  spawn(name: string, options?: SpawnOptions): Peer
  advance(ms: number): Promise<void>
  sock(p: Peer): string
  tag(): string
  /** A bare bus connection joined to the room's tag (not a room: it speaks raw frames). */
  raw(): Promise<RoomTransport>
}

const worlds: World[] = []

afterEach(async () => {
  for (const w of worlds.splice(0)) {
    for (const p of w.peers) void p.room.leave().catch(() => undefined)
    await w.clock.advance(100)
    w.bus.close()
    await w.clock.settle()
  }
})

const EVENT_NAMES: (keyof RoomEvents)[] = [
  'participants',
  'join',
  'leave',
  'knocks',
  'lobby',
  'authority',
  'reset',
  'dropped',
]

function world(seed: number, host: HostTier = { kind: 'none' }): World {
  const clock = createManualClock(0)
  const bus = createLocalBus({
    clock,
    random: createSeededRandom(seed),
    latency: { min: 1, max: 5 },
  })
  const peers: Peer[] = []
  const everRostered = new Set<string>()
  const violations: string[] = []
  let n = 0
  let tag = ''

  const w: World = {
    clock,
    bus,
    peers,
    everRostered,
    violations,
    spawn(name, o = {}) {
      const i = n++
      const events = Object.fromEntries(
        EVENT_NAMES.map((e) => [e, []]),
      ) as unknown as Peer['events']
      const peer: Peer = {
        name,
        identity: o.identity ?? `identity-${seed}-${i}-${name}`,
        room: null as unknown as Room,
        transport: null,
        events,
        startError: undefined,
        startedAt: null,
      }
      peer.room = createRoom({
        room: o.room ?? ROOM,
        name,
        identity: peer.identity,
        host,
        timing: TIMING,
        clock: o.clock ?? clock,
        random: createSeededRandom(seed * 1000 + i),
        connect: (t) => {
          tag = t
          return (peer.transport = bus.connect(t))
        },
        ...(o.avatar === undefined ? {} : { avatar: o.avatar }),
        ...(o.meta === undefined ? {} : { meta: o.meta }),
        ...(o.cam === undefined ? {} : { cam: o.cam }),
        ...(o.mic === undefined ? {} : { mic: o.mic }),
        ...(o.gate === undefined ? {} : { gate: o.gate }),
      })
      for (const e of EVENT_NAMES) {
        peer.room.on(e, (payload) => (events[e] as unknown[]).push(payload))
      }
      peer.room.subscribe(() => {
        const s = peer.room.getSnapshot()
        for (const p of s.participants) everRostered.add(p.id)
        if (s.lobby === 'waiting' && s.participants.length > 0) {
          violations.push(`${name} held a roster while waiting`)
        }
      })
      // Not awaited: joining needs the clock to move.
      peer.room.start().then(
        () => (peer.startedAt = clock.now()),
        (error: unknown) => (peer.startError = error),
      )
      peers.push(peer)
      return peer
    },
    advance: (ms) => clock.advance(ms),
    sock(p) {
      const id = p.transport ? bus.socketOf(p.transport) : null
      if (id === null) throw new Error(`${p.name} has no live socket`)
      return id
    },
    tag: () => tag,
    async raw() {
      const t = bus.connect(tag)
      const joined = t.join()
      await clock.advance(50)
      const r = await joined
      if (!r.ok) throw new Error('raw join failed')
      return t
    },
  }
  worlds.push(w)
  return w
}

const snap = (p: Peer): RoomSnapshot => p.room.getSnapshot()
const names = (p: Peer): string[] => snap(p).participants.map((x) => x.name)
const ids = (p: Peer): string[] => snap(p).participants.map((x) => x.id)
const entry = (viewer: Peer, id: string): Participant | undefined =>
  snap(viewer).participants.find((x) => x.id === id)
/** Comparable view of a snapshot (identity aside). */
const view = (p: Peer): string => JSON.stringify(snap(p))

/** Advance to halfway between two of `p`'s heartbeats. */
async function midBeat(w: World, p: Peer): Promise<void> {
  if (p.startedAt === null) throw new Error(`${p.name} has not started`)
  const phase = (w.clock.now() - p.startedAt) % TIMING.pingMs
  await w.advance((TIMING.pingMs / 2 - phase + TIMING.pingMs) % TIMING.pingMs)
}

/** A, then B and C: A claims first. */
async function trio(seed: number, host?: HostTier) {
  const w = world(seed, host)
  const a = w.spawn('Ann', { avatar: '🦊', cam: true, meta: { role: 'agent', team: 'red' } })
  await w.advance(50)
  const b = w.spawn('Bob', { mic: true })
  await w.advance(50)
  const c = w.spawn('Cy')
  await w.advance(1000)
  return { w, a, b, c }
}

async function sealText(keys: RoomKeys, text: string): Promise<Uint8Array> {
  const sealed = await seal(keys, utf8(text) as Uint8Array<ArrayBuffer>)
  if (!sealed.ok) throw sealed.error
  return sealed.value
}

/** A presence frame sealed with `keys` (the right room's, or another room's). */
async function sealFor(keys: RoomKeys, message: PresenceMessage): Promise<Uint8Array> {
  const encoded = encodePresence(message)
  if (!encoded.ok) throw encoded.error
  return sealText(keys, encoded.value)
}

async function keysOf(room: string): Promise<RoomKeys> {
  const k = await deriveRoomKeys(room)
  if (!k.ok) throw k.error
  return k.value
}

/** A freezable clock that still tells the manual clock about WebCrypto work (determinism). */
function freezable(clock: ManualClock): FreezableClock {
  // createFreezableClock does not forward `track`; without it the manual clock would not wait
  // for this participant's sealing and the schedule would depend on real time.
  return Object.assign(createFreezableClock(clock), {
    track: <T>(work: Promise<T>) => clock.track(work),
  })
}

function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

// ── R4 R5 R6: claim-or-join, announce, roster ────────────────────────────────────────────────

describe('R4 R5 R6: claim-or-join, announce and the roster', () => {
  test('R4: three peers converge and the first claimer is the authority', async () => {
    const { w, a, b, c } = await trio(1)
    const auth = w.sock(a)
    expect(w.bus.authorityOf(w.tag())).toBe(auth)
    for (const p of [a, b, c]) {
      const s = snap(p)
      expect(s.phase).toBe('joined')
      expect(s.self).toBe(w.sock(p))
      expect(s.authority).toBe(auth)
      expect(s.isAuthority).toBe(p === a)
      expect(s.epoch).toBe(0)
      expect(s.lobby).toBeNull()
      expect(s.participants).toHaveLength(3)
      expect(s.participants.filter((x) => x.isAuthority).map((x) => x.id)).toEqual([auth])
      expect(s.participants.filter((x) => x.isSelf).map((x) => x.id)).toEqual([w.sock(p)])
      expect(p.startError).toBeUndefined()
    }
    // Every member holds the authority's roster, in the same order.
    expect(ids(b)).toEqual(ids(a))
    expect(ids(c)).toEqual(ids(a))
    expect(w.violations).toEqual([])
  })

  test('R4: join and claim travel in one flight (one round trip to hold the slot, two to a roster)', async () => {
    // Every hop takes exactly 10 ms: a request and its reply take 20 ms, and so does a frame
    // (sender → broker → receiver).
    const clock = createManualClock(0)
    const bus = createLocalBus({ clock, latency: { min: 10, max: 10 } })
    const spawn = (name: string, i: number) => {
      const room = createRoom({
        room: 'one-flight',
        name,
        identity: `one-flight-${name}`,
        timing: TIMING,
        clock,
        random: createSeededRandom(i),
        connect: (t) => bus.connect(t),
      })
      const on = { role: null as number | null, roster: null as number | null }
      room.subscribe(() => {
        const s = room.getSnapshot()
        if (s.authority !== null) on.role ??= clock.now()
        if (s.participants.length === 2) on.roster ??= clock.now()
      })
      void room.start()
      return { room, on }
    }
    const step = async (until: number) => {
      while (clock.now() < until) await clock.advance(1)
    }
    // Two peers race for a vacant slot: one holds it after one round trip; the other learns the
    // winner from its own (refused) claim in the same flight, announces, and has the roster back
    // 40 ms later.
    const a = spawn('a', 1)
    const b = spawn('b', 2)
    await step(100)
    const [winner, loser] = a.room.getSnapshot().isAuthority ? [a, b] : [b, a]
    expect(winner.room.getSnapshot().isAuthority).toBe(true)
    expect(winner.on.role).toBe(20)
    expect(loser.on.role).toBe(20)
    expect(winner.on.roster).toBe(40)
    expect(loser.on.roster).toBe(60)
    // Sequentially (join, then claim, then announce) the loser was rostered at 80 ms.
    await Promise.all([a.room.leave(), b.room.leave(), clock.advance(100)])
  })

  test('R6: the authority is first; entries carry name, avatar, cam, mic, role, meta, engine', async () => {
    const { w, a, b, c } = await trio(2)
    const engine = { v: ENGINE_VERSION, p: PROTOCOL_VERSION, f: [...FEATURES] }
    for (const viewer of [a, b, c]) {
      expect(names(viewer)[0]).toBe('Ann')
      expect([...names(viewer)].sort()).toEqual(['Ann', 'Bob', 'Cy'])
      const ann = entry(viewer, w.sock(a))!
      expect(ann).toMatchObject({
        name: 'Ann',
        avatar: '🦊',
        cam: true,
        mic: false,
        role: 'agent',
        meta: { role: 'agent', team: 'red' },
        engine,
        isAuthority: true,
        isHost: false,
        verified: false,
        isSelf: viewer === a,
      })
      const bob = entry(viewer, w.sock(b))!
      expect(bob).toMatchObject({
        name: 'Bob',
        avatar: '',
        cam: false,
        mic: true,
        role: undefined,
        meta: {},
        engine,
        isAuthority: false,
        isSelf: viewer === b,
      })
      expect(entry(viewer, w.sock(c))).toMatchObject({ name: 'Cy', cam: false, mic: false })
    }
  })

  test('R5 R6: setName, setAvatar, setMedia and setMeta reach everyone (member and authority)', async () => {
    const { w, a, b, c } = await trio(3)
    b.room.setName('Robert')
    b.room.setAvatar('🐻')
    b.room.setMedia({ cam: true, mic: false })
    b.room.setMeta({ role: 'guest', lang: 'fr' })
    a.room.setName('Annie')
    a.room.setMedia({ mic: true })
    a.room.setMeta({ role: 'bot' })
    await w.advance(200)
    for (const viewer of [a, b, c]) {
      expect(entry(viewer, w.sock(b))).toMatchObject({
        name: 'Robert',
        avatar: '🐻',
        cam: true,
        mic: false,
        role: 'guest',
        meta: { role: 'guest', lang: 'fr' },
      })
      expect(entry(viewer, w.sock(a))).toMatchObject({
        name: 'Annie',
        cam: true,
        mic: true,
        role: 'bot',
        meta: { role: 'bot' },
      })
    }
  })

  // Regression (fixed; was in room.ts setMeta): `role` is merged into `info` only when the new meta has a string role,
  // so dropping `meta.role` keeps the old role on the authority's own entry (members are fine: the
  // authority recomputes `role` from the announced meta). Types say role is "`meta.role` when it
  // is a string". Fix: in setMeta build the patch with `role: typeof meta.role === 'string' ?
  // meta.role : undefined` and omit the key when undefined, e.g.
  // `const { role: _, ...rest } = info; info = { ...rest, meta, ...(typeof meta.role === 'string' ? { role: meta.role } : {}) }`.
  test('R6: setMeta without a role clears the role (authority self entry)', async () => {
    const { w, a, b } = await trio(4)
    a.room.setMeta({ team: 'blue' })
    await w.advance(200)
    expect(entry(b, w.sock(a))).toMatchObject({ meta: { team: 'blue' } })
    expect(entry(b, w.sock(a))!.role).toBeUndefined()
    expect(entry(a, w.sock(a))!.role).toBeUndefined()
  })

  test('R6: a member dropping its role loses it on every roster', async () => {
    const w = world(5)
    const a = w.spawn('Ann')
    await w.advance(50)
    const b = w.spawn('Bob', { meta: { role: 'agent' } })
    await w.advance(500)
    expect(entry(a, w.sock(b))!.role).toBe('agent')
    b.room.setMeta({})
    await w.advance(200)
    expect(entry(a, w.sock(b))!.role).toBeUndefined()
    expect(entry(b, w.sock(b))!.role).toBeUndefined()
  })

  test('R20: participants, join and leave fire with the right payloads; unsubscribe stops them', async () => {
    const w = world(6)
    const a = w.spawn('Ann')
    await w.advance(50)
    const b = w.spawn('Bob')
    await w.advance(500)
    // Bob saw Ann and himself join, then a participants list with both.
    expect(b.events.join.map((p) => p.name).sort()).toEqual(['Ann', 'Bob'])
    expect(b.events.participants.at(-1)!.map((p) => p.name)).toEqual(['Ann', 'Bob'])
    expect(a.events.join.map((p) => p.name)).toEqual(['Ann', 'Bob'])

    const bJoins: Participant[] = []
    const bLeaves: Participant[] = []
    const bLists: (readonly Participant[])[] = []
    const offJoin = b.room.on('join', (p) => bJoins.push(p))
    const offLeave = b.room.on('leave', (p) => bLeaves.push(p))
    const offList = b.room.on('participants', (ps) => bLists.push(ps))

    const c = w.spawn('Cy', { cam: true })
    await w.advance(500)
    const cid = w.sock(c)
    expect(bJoins).toHaveLength(1)
    expect(bJoins[0]).toMatchObject({ id: cid, name: 'Cy', cam: true, isSelf: false })
    expect(bLists.at(-1)).toBe(snap(b).participants)
    expect(bLists.at(-1)!.map((p) => p.name)).toEqual(['Ann', 'Bob', 'Cy'])

    void c.room.leave()
    await w.advance(300)
    expect(bLeaves).toHaveLength(1)
    expect(bLeaves[0]).toMatchObject({ id: cid, name: 'Cy' })
    expect(a.events.leave.map((p) => p.id)).toEqual([cid])
    expect(bLists.at(-1)!.map((p) => p.name)).toEqual(['Ann', 'Bob'])

    offJoin()
    offLeave()
    offList()
    const counts = [bJoins.length, bLeaves.length, bLists.length]
    const d = w.spawn('Dee')
    await w.advance(500)
    a.room.setName('Annie')
    await w.advance(200)
    void d.room.leave()
    await w.advance(300)
    expect([bJoins.length, bLeaves.length, bLists.length]).toEqual(counts)
    // The room's own recorder (still subscribed) did see all of it.
    expect(b.events.join.at(-1)!.name).toBe('Dee')
    expect(b.events.leave.at(-1)!.name).toBe('Dee')
  })
})

// ── R7: identity ─────────────────────────────────────────────────────────────────────────────

describe('R7: a stable identity is one participant', () => {
  test('R7: a killed peer reconnecting with the same identity is listed once', async () => {
    const { w, a, b, c } = await trio(7)
    const old = w.sock(b)
    w.bus.kill(old)
    const b2 = w.spawn('Bob again', { identity: b.identity })
    await w.advance(600)
    for (const viewer of [a, c, b2]) {
      expect(names(viewer).sort()).toEqual(['Ann', 'Bob again', 'Cy'])
      expect(ids(viewer)).not.toContain(old)
    }
    expect(ids(a)).toContain(w.sock(b2))
  })

  test('R7: the ghost of a silent old socket is replaced at once, well before reapMs', async () => {
    const { w, a, b, c } = await trio(8)
    const old = w.sock(b)
    // The old socket stays in the tag (no broker notice) but goes silent.
    w.bus.isolate(old)
    const b2 = w.spawn('Bob', { identity: b.identity })
    await w.advance(500) // < reapMs
    for (const viewer of [a, c, b2]) {
      expect(names(viewer).filter((n) => n === 'Bob')).toHaveLength(1)
      expect(ids(viewer)).not.toContain(old)
      expect(ids(viewer)).toContain(w.sock(b2))
    }
    await w.advance(4 * TIMING.pingMs)
    expect(ids(a)).toHaveLength(3)
  })
})

// ── R8: heartbeats and reaping ───────────────────────────────────────────────────────────────

describe('R8: heartbeats', () => {
  test('R8: a killed member is dropped on the broker notice, not after reapMs', async () => {
    const { w, a, b, c } = await trio(9)
    const cid = w.sock(c)
    w.bus.kill(cid)
    await w.advance(100)
    expect(names(a)).toEqual(['Ann', 'Bob'])
    expect(names(b)).toEqual(['Ann', 'Bob'])
    expect(b.events.leave.map((p) => p.id)).toEqual([cid])
  })

  test('R8: an isolated member is reaped after reapMs by the authority and rejoins after heal', async () => {
    const { w, a, b, c } = await trio(10)
    const cid = w.sock(c)
    const t0 = w.clock.now()
    w.bus.isolate(cid)
    await w.advance(TIMING.reapMs - TIMING.pingMs)
    expect(ids(a)).toContain(cid) // not yet
    let reapedAt: number | null = null
    while (reapedAt === null && w.clock.now() - t0 < TIMING.reapMs + 3 * TIMING.pingMs) {
      await w.advance(100)
      if (!ids(a).includes(cid)) reapedAt = w.clock.now()
    }
    expect(reapedAt).not.toBeNull()
    expect(reapedAt! - t0).toBeGreaterThanOrEqual(TIMING.reapMs)
    expect(reapedAt! - t0).toBeLessThanOrEqual(TIMING.reapMs + 2 * TIMING.pingMs)
    await w.advance(100)
    expect(ids(b)).not.toContain(cid)

    w.bus.heal(cid)
    const healedAt = w.clock.now()
    let backAt: number | null = null
    while (backAt === null && w.clock.now() - healedAt < 2 * TIMING.reapMs) {
      await w.advance(100)
      if ([a, b, c].every((p) => ids(p).length === 3)) backAt = w.clock.now()
    }
    expect(backAt).not.toBeNull()
    expect(ids(a)).toContain(cid)
    expect(snap(c).authority).toBe(w.sock(a))
  })

  // SLOW REJOIN (room.ts tick): after a partition heals, a member the authority reaped still holds
  // its own stale roster (it never saw the one without it), so it keeps pinging, and the authority
  // rightly ignores pings from sockets it does not know. It announces again only when its
  // authority watchdog (reapMs) fires and `claim` → `becomeMember` re-announces: up to reapMs
  // after the heal, while R5 says a member announces on every heartbeat until it is on the roster.
  // Regression (fixed): the authority re-broadcasts the roster every pingMs to every member (R6), so a member
  // that has had no roster from its authority for ~2 × pingMs should consider itself off the
  // roster and announce instead of pinging (track `lastRosterAt` next to `lastHeard`).
  test('R8 R5: a reaped member is back on the roster within two heartbeats of the heal', async () => {
    const { w, a, b, c } = await trio(10)
    const cid = w.sock(c)
    w.bus.isolate(cid)
    await w.advance(TIMING.reapMs + 2 * TIMING.pingMs)
    expect(ids(a)).not.toContain(cid)
    w.bus.heal(cid)
    await w.advance(2 * TIMING.pingMs + 100)
    expect([a, b, c].map((p) => ids(p).length)).toEqual([3, 3, 3])
  })
})

// ── R9: freeze guard ─────────────────────────────────────────────────────────────────────────

describe('R9: freeze guard', () => {
  async function frozenTrio(seed: number) {
    const w = world(seed)
    const fa = freezable(w.clock)
    const a = w.spawn('Ann', { clock: fa })
    await w.advance(50)
    const b = w.spawn('Bob')
    await w.advance(50)
    const c = w.spawn('Cy')
    await w.advance(1000)
    expect(snap(a).isAuthority).toBe(true)
    expect(ids(a)).toHaveLength(3)
    return { w, fa, a, b, c }
  }

  test('R9: a frozen authority does not reap live members on thaw', async () => {
    const { w, fa, a, b, c } = await frozenTrio(11)
    const freezeMs = TIMING.reapMs + 1000 // longer than reapMs
    fa.freeze(freezeMs)
    w.bus.freeze(w.sock(a), freezeMs)
    await w.advance(freezeMs + 50)
    expect(fa.frozen).toBe(false)
    // A few heartbeats after the thaw everyone is still there, and nobody ever left.
    await w.advance(3 * TIMING.pingMs)
    for (const p of [a, b, c]) expect(ids(p)).toHaveLength(3)
    for (const p of [a, b, c]) expect(p.events.leave).toEqual([])
    expect(snap(b).authority).toBe(w.sock(a))
    expect(snap(c).authority).toBe(w.sock(a))
    expect(w.bus.authorityOf(w.tag())).toBe(w.sock(a))
  })

  test('R9 control: members that really go silent (isolated) are reaped', async () => {
    const { w, a, b, c } = await frozenTrio(11)
    const bid = w.sock(b)
    const cid = w.sock(c)
    w.bus.isolate(bid)
    w.bus.isolate(cid)
    await w.advance(TIMING.reapMs + 2 * TIMING.pingMs)
    expect(ids(a)).toEqual([w.sock(a)])
    expect(a.events.leave.map((p) => p.id).sort()).toEqual([bid, cid].sort())
  })

  test('R9: after the grace, a member that stayed silent through the freeze is still reaped', async () => {
    const { w, fa, a, b, c } = await frozenTrio(12)
    const cid = w.sock(c)
    const freezeMs = TIMING.reapMs + 1000
    w.bus.isolate(cid)
    fa.freeze(freezeMs)
    w.bus.freeze(w.sock(a), freezeMs)
    await w.advance(freezeMs + 50)
    expect(ids(a)).toContain(cid) // grace, not reaped on thaw
    await w.advance(TIMING.reapMs + 2 * TIMING.pingMs)
    expect(ids(a)).not.toContain(cid)
    expect(ids(a)).toContain(w.sock(b))
    expect(ids(b)).toEqual(ids(a))
  })
})

// ── R10: vacancy and migration ───────────────────────────────────────────────────────────────

describe('R10: migration', () => {
  for (const how of ['leaves', 'is killed'] as const) {
    test(`R10: the authority ${how} → one new authority, epoch + 1, complete roster`, async () => {
      const w = world(how === 'leaves' ? 13 : 14)
      const a = w.spawn('Ann')
      await w.advance(50)
      const rest = ['Bob', 'Cy', 'Dee'].map((n) => w.spawn(n))
      await w.advance(1000)
      expect(rest.every((p) => ids(p).length === 4)).toBe(true)
      const aid = w.sock(a)
      for (const p of rest) p.events.authority.length = 0

      if (how === 'leaves') void a.room.leave()
      else w.bus.kill(aid)
      await w.advance(1500)

      const authorities = rest.filter((p) => snap(p).isAuthority)
      expect(authorities).toHaveLength(1)
      const winner = authorities[0]!
      const wid = w.sock(winner)
      expect(w.bus.authorityOf(w.tag())).toBe(wid)
      for (const p of rest) {
        const s = snap(p)
        expect(s.authority).toBe(wid)
        expect(s.epoch).toBe(1)
        expect(names(p).sort()).toEqual(['Bob', 'Cy', 'Dee'])
        expect(ids(p)[0]).toBe(wid)
        expect(ids(p)).not.toContain(aid)
        expect(p.events.authority.at(-1)).toEqual({ id: wid, self: p === winner })
      }
      expect(winner.events.authority.some((e) => e.self)).toBe(true)
      expect(w.violations).toEqual([])
    })
  }
})

// ── R12: waiting peers never coordinate ──────────────────────────────────────────────────────

describe('R12: waiting peers never coordinate', () => {
  for (const seed of [15, 16, 17]) {
    test(`R12: a waiting peer does not take the slot while admitted members remain (seed ${seed})`, async () => {
      const w = world(seed, { kind: 'name', name: 'Host', lobby: true })
      const h = w.spawn('Host')
      await w.advance(50)
      const m = w.spawn('Mia')
      await w.advance(500)
      expect(snap(m).lobby).toBe('waiting')
      expect(h.room.admit(w.sock(m))).toBe(true)
      await w.advance(500)
      expect(snap(m).lobby).toBe('admitted')
      const wt = w.spawn('Wes')
      await w.advance(500)
      expect(snap(wt).lobby).toBe('waiting')

      w.bus.kill(w.sock(h)) // the authority (and host) dies
      await w.advance(2000)
      expect(snap(m).isAuthority).toBe(true)
      expect(snap(wt).isAuthority).toBe(false)
      expect(w.bus.authorityOf(w.tag())).toBe(w.sock(m))
      expect(snap(wt).authority).toBe(w.sock(m))
      expect(snap(wt).lobby).toBe('waiting')
      expect(snap(wt).participants).toEqual([])
      expect(names(m)).toEqual(['Mia'])
      expect(snap(m).lobbyOn).toBe(true)
      expect(snap(m).knocks.map((k) => k.name)).toEqual(['Wes'])
      expect(w.everRostered).not.toContain(w.sock(wt))
      expect(w.violations).toEqual([])
    })
  }
})

// ── R14: host tiers ──────────────────────────────────────────────────────────────────────────

describe('R14: host tiers', () => {
  test('R14: in an open room every moderation call returns false and changes nothing', async () => {
    const { w, a, b, c } = await trio(18)
    await w.advance(2 * TIMING.pingMs)
    const before = [a, b, c].map(view)
    for (const p of [a, b, c]) {
      const s = snap(p)
      expect(s.host).toBeNull()
      expect(s.isHost).toBe(false)
      expect(p.room.setLobby(true)).toBe(false)
      expect(p.room.setLocked(true)).toBe(false)
      expect(p.room.admit(w.sock(b))).toBe(false)
      expect(p.room.deny(w.sock(b))).toBe(false)
      expect(p.room.remove(w.sock(c))).toBe(false)
      expect(p.room.remove(w.sock(a))).toBe(false)
      expect(p.room.resetRoom()).toBe(false)
    }
    await w.advance(2 * TIMING.pingMs)
    expect([a, b, c].map(view)).toEqual(before)
    for (const p of [a, b, c]) expect(p.events.reset).toEqual([])
  })

  test('R14: a forged mod frame from a rostered member is dropped in an open room', async () => {
    const { w, a, b, c } = await trio(19)
    const keys = await keysOf(ROOM)
    const before = [a, b, c].map(view)
    b.transport!.send(w.sock(a), await sealFor(keys, { t: 'mod', op: 'lock' }))
    b.transport!.send(w.sock(a), await sealFor(keys, { t: 'mod', op: 'remove', target: w.sock(c) }))
    await w.advance(2 * TIMING.pingMs)
    expect([a, b, c].map(view)).toEqual(before)
    expect(snap(c).phase).toBe('joined')
  })

  test('R14: name tier — the first to announce under the name (any case) is host; only it moderates', async () => {
    const w = world(20, { kind: 'name', name: 'Host' })
    const a = w.spawn('Ann') // the authority, not the host
    await w.advance(50)
    const h = w.spawn('hOsT')
    await w.advance(300)
    const spoof = w.spawn('HOST')
    await w.advance(50)
    const b = w.spawn('Bob')
    await w.advance(1000)
    const hid = w.sock(h)
    for (const p of [a, h, spoof, b]) {
      expect(snap(p).host).toBe(hid)
      expect(snap(p).isHost).toBe(p === h)
      expect(
        snap(p)
          .participants.filter((x) => x.isHost)
          .map((x) => x.id),
      ).toEqual([hid])
    }
    // Non-hosts (the authority included) cannot moderate.
    for (const p of [a, spoof, b]) {
      expect(p.room.remove(w.sock(b === p ? spoof : b))).toBe(false)
      expect(p.room.setLocked(true)).toBe(false)
      expect(p.room.setLobby(true)).toBe(false)
      expect(p.room.resetRoom()).toBe(false)
    }
    // A forged mod frame from a non-host member is dropped by the authority.
    const keys = await keysOf(ROOM)
    b.transport!.send(w.sock(a), await sealFor(keys, { t: 'mod', op: 'lock' }))
    await w.advance(500)
    for (const p of [a, h, spoof, b]) {
      expect(snap(p).locked).toBe(false)
      expect(snap(p).lobbyOn).toBe(false)
      expect(snap(p).participants).toHaveLength(4)
    }
    // The host's calls work.
    expect(h.room.setLocked(true)).toBe(true)
    await w.advance(300)
    for (const p of [a, h, spoof, b]) expect(snap(p).locked).toBe(true)
    expect(h.room.setLocked(false)).toBe(true)
    expect(h.room.remove(w.sock(spoof))).toBe(true)
    await w.advance(300)
    expect(snap(spoof).phase).toBe('removed')
    for (const p of [a, h, b]) {
      expect(snap(p).locked).toBe(false)
      expect(names(p).sort()).toEqual(['Ann', 'Bob', 'hOsT'])
    }
  })

  test('R14: lobby: true starts with the lobby on; the host bypasses it, others wait', async () => {
    const w = world(21, { kind: 'name', name: 'Host', lobby: true })
    const a = w.spawn('Ann')
    await w.advance(50)
    expect(snap(a).lobbyOn).toBe(true)
    const h = w.spawn('host')
    await w.advance(300)
    const z = w.spawn('Zed')
    await w.advance(500)
    expect(snap(h).lobby).toBeNull()
    expect(snap(h).isHost).toBe(true)
    expect(snap(h).lobbyOn).toBe(true)
    expect(names(h)).toEqual(['Ann', 'host'])
    expect(snap(z).lobby).toBe('waiting')
    expect(snap(z).participants).toEqual([])
    expect(w.everRostered).not.toContain(w.sock(z))
  })

  test('R14: the authority named like the host is the host', async () => {
    const w = world(22, { kind: 'name', name: 'Host' })
    const h = w.spawn('HOST')
    await w.advance(50)
    const b = w.spawn('Bob')
    await w.advance(500)
    expect(snap(h).isAuthority).toBe(true)
    expect(snap(h).isHost).toBe(true)
    expect(snap(b).host).toBe(w.sock(h))
    expect(h.room.setLocked(true)).toBe(true)
    await w.advance(200)
    expect(snap(b).locked).toBe(true)
  })
})

// ── R15: lobby ───────────────────────────────────────────────────────────────────────────────

describe('R15: lobby', () => {
  async function lobbyRoom(seed: number) {
    const w = world(seed, { kind: 'name', name: 'Host' })
    const a = w.spawn('Ann') // authority
    await w.advance(50)
    const h = w.spawn('Host') // host, a plain member
    await w.advance(300)
    const b = w.spawn('Bob')
    await w.advance(500)
    expect(h.room.setLobby(true)).toBe(true)
    await w.advance(300)
    for (const p of [a, h, b]) expect(snap(p).lobbyOn).toBe(true)
    return { w, a, h, b }
  }

  test('R15: the knock queue is in the host (and authority) snapshot, not in other members’', async () => {
    const { w, a, h, b } = await lobbyRoom(23)
    const z = w.spawn('Zed', { avatar: '🦓' })
    await w.advance(500)
    const zid = w.sock(z)
    expect(snap(z).lobby).toBe('waiting')
    expect(z.events.lobby).toContain('waiting')
    expect(snap(z).participants).toEqual([])
    expect(snap(h).knocks).toEqual([{ id: zid, name: 'Zed', avatar: '🦓' }])
    expect(h.events.knocks.at(-1)).toEqual([{ id: zid, name: 'Zed', avatar: '🦓' }])
    expect(snap(a).knocks).toEqual([{ id: zid, name: 'Zed', avatar: '🦓' }])
    expect(snap(b).knocks).toEqual([])
    expect(b.events.knocks).toEqual([])
    for (const p of [a, h, b]) expect(ids(p)).not.toContain(zid)

    // Re-knock renames while waiting.
    z.room.knock('Zelda')
    await w.advance(300)
    expect(snap(h).knocks).toEqual([{ id: zid, name: 'Zelda', avatar: '🦓' }])
    expect(snap(b).knocks).toEqual([])
    expect(snap(z).lobby).toBe('waiting')
    expect(w.violations).toEqual([])
  })

  test('R15: admit → the knocker becomes a participant and hears `admitted`', async () => {
    const { w, a, h, b } = await lobbyRoom(24)
    const z = w.spawn('Zed')
    await w.advance(500)
    z.room.knock('Zelda')
    await w.advance(300)
    const zid = w.sock(z)
    expect(h.room.admit(zid)).toBe(true)
    await w.advance(500)
    expect(snap(z).lobby).toBe('admitted')
    expect(z.events.lobby).toEqual(['waiting', 'admitted'])
    for (const p of [a, h, b, z]) {
      expect(names(p).sort()).toEqual(['Ann', 'Bob', 'Host', 'Zelda'])
    }
    expect(snap(h).knocks).toEqual([])
    expect(h.events.knocks.at(-1)).toEqual([])
    expect(w.violations).toEqual([])
  })

  test('R15: deny → `denied`, never rostered', async () => {
    const { w, a, h, b } = await lobbyRoom(25)
    const y = w.spawn('Yan')
    await w.advance(500)
    const yid = w.sock(y)
    expect(snap(h).knocks.map((k) => k.id)).toEqual([yid])
    // Deny between two of the knocker's heartbeats (see the crossing case below).
    await midBeat(w, y)
    expect(h.room.deny(yid)).toBe(true)
    await w.advance(100)
    expect(snap(y).lobby).toBe('denied')
    expect(snap(h).knocks).toEqual([])
    await w.advance(4 * TIMING.pingMs)
    expect(snap(y).lobby).toBe('denied')
    expect(y.events.lobby).toEqual(['waiting', 'denied'])
    expect(snap(h).knocks).toEqual([])
    expect(snap(y).participants).toEqual([])
    expect(w.everRostered).not.toContain(yid)
    for (const p of [a, h, b]) expect(ids(p)).toHaveLength(3)
  })

  // Regression (fixed; was in authority.ts #announce / moderate 'deny'): the authority forgets a denial as soon as it
  // sends `denied`. A waiting peer announces on every heartbeat (R5), so an announce that crossed
  // the deny on the wire re-queues it as a knock and answers `waiting`: the peer flips back from
  // `denied` to `waiting` and reappears in the host's queue although nobody knocked again. Found
  // with a deny that happened to land ~10 ms before the knocker's heartbeat; reproduced here
  // deterministically by freezing the knocker's socket across the deny. Fix: remember denied
  // sockets (a capped `#denied` set keyed by socket id, cleared on memberLeft) and answer their
  // announces with `denied` again without queueing; only an explicit `knock` (the app acting, R15
  // "it may re-knock") re-queues it.
  test('R15: an announce that crossed the deny does not put the knocker back in the queue', async () => {
    const { w, h } = await lobbyRoom(25)
    const y = w.spawn('Yan')
    await w.advance(500)
    const yid = w.sock(y)
    // Nothing in or out of Yan for more than a heartbeat: its announce leaves after the deny.
    w.bus.freeze(yid, TIMING.pingMs + 100)
    expect(h.room.deny(yid)).toBe(true)
    await w.advance(TIMING.pingMs + 400)
    expect(snap(h).knocks).toEqual([])
    expect(snap(y).lobby).toBe('denied')
  })

  test('R15: an identity admitted before bypasses the lobby when it comes back', async () => {
    const { w, a, h, b } = await lobbyRoom(26)
    const z = w.spawn('Zed')
    await w.advance(500)
    h.room.admit(w.sock(z))
    await w.advance(500)
    expect(ids(a)).toContain(w.sock(z))
    void z.room.leave()
    await w.advance(300)
    const z2 = w.spawn('Zed', { identity: z.identity })
    await w.advance(500)
    expect(snap(z2).lobby).toBeNull()
    for (const p of [a, h, b, z2]) expect(ids(p)).toContain(w.sock(z2))
  })
})

// ── R16: lock ────────────────────────────────────────────────────────────────────────────────

describe('R16: lock', () => {
  test('R16: a locked room refuses a new identity and readmits a known one', async () => {
    const w = world(27, { kind: 'name', name: 'Host' })
    const h = w.spawn('Host')
    await w.advance(50)
    const b = w.spawn('Bob')
    await w.advance(50)
    const c = w.spawn('Cy')
    await w.advance(500)
    expect(h.room.setLocked(true)).toBe(true)
    await w.advance(200)
    for (const p of [h, b, c]) expect(snap(p).locked).toBe(true)

    const n = w.spawn('Newt')
    await w.advance(500)
    const nid = w.sock(n)
    expect(snap(n).lobby).toBe('locked')
    expect(n.events.lobby).toEqual(['locked'])
    await w.advance(4 * TIMING.pingMs)
    expect(snap(n).participants).toEqual([])
    expect(w.everRostered).not.toContain(nid)

    // Bob drops and comes back under the same identity: readmitted.
    w.bus.kill(w.sock(b))
    await w.advance(200)
    expect(names(h)).toEqual(['Host', 'Cy'])
    const b2 = w.spawn('Bob', { identity: b.identity })
    await w.advance(500)
    expect(snap(b2).lobby).toBeNull()
    for (const p of [h, c, b2]) expect(names(p).sort()).toEqual(['Bob', 'Cy', 'Host'])
  })
})

// ── R17: remove ──────────────────────────────────────────────────────────────────────────────

describe('R17: remove', () => {
  test('R17: the removed peer is told and leaves; its identity is banned everywhere; it cannot rejoin', async () => {
    const w = world(28, { kind: 'name', name: 'Host' })
    const a = w.spawn('Ann')
    await w.advance(50)
    const h = w.spawn('Host')
    await w.advance(300)
    const b = w.spawn('Bob')
    await w.advance(50)
    const c = w.spawn('Cy')
    await w.advance(500)
    const bid = w.sock(b)
    expect(h.room.remove(bid)).toBe(true)
    await w.advance(500)
    expect(snap(b).phase).toBe('removed')
    expect(snap(b).lobby).toBe('removed')
    const ban = await identityHash(w.tag(), b.identity)
    for (const p of [a, h, c]) {
      expect(ids(p)).not.toContain(bid)
      expect(snap(p).bans).toEqual([ban])
    }
    expect(w.bus.members(w.tag())).not.toContain(bid)

    const b2 = w.spawn('Bob', { identity: b.identity })
    await w.advance(1000)
    const b2id = snap(b2).self
    expect(snap(b2).lobby).toBe('removed')
    expect(snap(b2).phase).toBe('removed')
    expect(snap(b2).participants).toEqual([])
    if (b2id) expect(w.everRostered).not.toContain(b2id)
    for (const p of [a, h, c]) expect(names(p).sort()).toEqual(['Ann', 'Cy', 'Host'])
  })

  test('R17 R10: bans survive the authority leaving', async () => {
    const w = world(29, { kind: 'name', name: 'Host' })
    const a = w.spawn('Ann')
    await w.advance(50)
    const h = w.spawn('Host')
    await w.advance(300)
    const b = w.spawn('Bob')
    await w.advance(500)
    h.room.remove(w.sock(b))
    await w.advance(500)
    void a.room.leave()
    await w.advance(1500)
    expect(snap(h).isAuthority).toBe(true)
    expect(snap(h).isHost).toBe(true)
    expect(snap(h).bans).toEqual([await identityHash(w.tag(), b.identity)])
    const b2 = w.spawn('Bob', { identity: b.identity })
    await w.advance(1000)
    expect(snap(b2).phase).toBe('removed')
    expect(names(h)).toEqual(['Host'])
  })

  // Regression (fixed; was in authority.ts moderate 'remove'): `if (target === this.ctx.self) return` — when the host
  // is not the authority, removing the participant that happens to coordinate is silently ignored
  // (and `remove()` returned true). Moderation belongs to the host, not the authority (R14), and
  // R17 says the removed peer is banned and leaves. Fix: on a host-authorized remove of itself,
  // the authority bans its own identity hash, bumps and broadcasts the roster carrying the ban
  // (so every member inherits it, R10), then calls `ctx.selfBanned()` to leave; the broker's
  // vacancy migrates the room to a member that already knows the ban.
  test('R17: the host can remove the participant that is the authority', async () => {
    const w = world(30, { kind: 'name', name: 'Host' })
    const a = w.spawn('Ann')
    await w.advance(50)
    const h = w.spawn('Host')
    await w.advance(300)
    const b = w.spawn('Bob')
    await w.advance(500)
    const aid = w.sock(a)
    expect(h.room.remove(aid)).toBe(true)
    await w.advance(2000)
    expect(snap(a).phase).toBe('removed')
    for (const p of [h, b]) {
      expect(ids(p)).not.toContain(aid)
      expect(snap(p).bans).toEqual([await identityHash(w.tag(), a.identity)])
    }
  })
})

// ── R1: leaving while starting ───────────────────────────────────────────────────────────────

describe('R1: leave() during start()', () => {
  // Regression (fixed; was in room.ts start): a leave() that landed while start() awaited its
  // keys left start() to connect, join and heartbeat anyway: a ghost on every roster, never reaped.
  for (const after of [0, 1, 5]) {
    test(`R1: leave ${after} ms into start → never rostered, transport closed, phase stays left`, async () => {
      const w = world(70 + after)
      const a = w.spawn('Ann')
      await w.advance(500)
      const g = w.spawn('Ghost')
      await w.advance(after)
      void g.room.leave()
      await w.advance(3 * TIMING.reapMs)
      expect(snap(g).phase).toBe('left')
      expect(names(a)).toEqual(['Ann'])
      expect(w.bus.members(w.tag()).length).toBe(1)
    })
  }
})

// ── R22: capability grants ───────────────────────────────────────────────────────────────────

describe('R22: capability grants', () => {
  const wide = { perceive: ['read-chat'], act: ['send-chat'] }

  test('R22: the host sets and clears a grant; every member and a late joiner see it; non-hosts and forged frames cannot', async () => {
    const w = world(60, { kind: 'name', name: 'Host' })
    const a = w.spawn('Ann') // the authority, not the host
    await w.advance(50)
    const h = w.spawn('Host')
    await w.advance(300)
    const bot = w.spawn('Bot', { meta: { role: 'agent' } })
    await w.advance(500)
    const botId = w.sock(bot)
    for (const p of [a, bot]) expect(p.room.setGrant(botId, wide)).toBe(false)
    const keys = await keysOf(ROOM)
    bot.transport!.send(
      w.sock(a),
      await sealFor(keys, { t: 'mod', op: 'caps', target: botId, grant: wide }),
    )
    await w.advance(500)
    for (const p of [a, h, bot]) expect(snap(p).grants).toEqual({})

    expect(h.room.setGrant(botId, wide)).toBe(true)
    await w.advance(300)
    for (const p of [a, h, bot]) expect(snap(p).grants).toEqual({ [botId]: wide })
    const late = w.spawn('Late')
    await w.advance(500)
    expect(snap(late).grants).toEqual({ [botId]: wide })
    // Not rostered: nothing to grant. Malformed: refused locally.
    expect(h.room.setGrant('nobody', wide)).toBe(true)
    expect(h.room.setGrant(botId, { perceive: 'all' } as never)).toBe(false)
    await w.advance(300)
    expect(snap(late).grants).toEqual({ [botId]: wide })

    expect(h.room.setGrant(botId, null)).toBe(true)
    await w.advance(300)
    for (const p of [a, h, bot, late]) expect(snap(p).grants).toEqual({})
  })

  test('R22 R10: grants survive migration; the entry of a member who leaves goes', async () => {
    const w = world(61, { kind: 'name', name: 'Host' })
    const a = w.spawn('Ann')
    await w.advance(50)
    const h = w.spawn('Host')
    await w.advance(300)
    const bot = w.spawn('Bot', { meta: { role: 'agent' } })
    const cy = w.spawn('Cy')
    await w.advance(500)
    h.room.setGrant(w.sock(bot), wide)
    h.room.setGrant(w.sock(cy), { perceive: [], act: [] })
    await w.advance(300)
    w.bus.kill(w.sock(a))
    await w.advance(4000)
    expect([h, bot, cy].filter((p) => snap(p).isAuthority)).toHaveLength(1)
    for (const p of [h, bot, cy]) {
      expect(snap(p).grants).toEqual({
        [w.sock(bot)]: wide,
        [w.sock(cy)]: { perceive: [], act: [] },
      })
    }
    void cy.room.leave()
    await w.advance(500)
    for (const p of [h, bot]) expect(snap(p).grants).toEqual({ [w.sock(bot)]: wide })
  })
})

// ── R18: reset ───────────────────────────────────────────────────────────────────────────────

describe('R18: reset', () => {
  test('R18: a host that is the authority resets every member and itself', async () => {
    const w = world(31, { kind: 'name', name: 'Host' })
    const h = w.spawn('Host')
    await w.advance(50)
    const b = w.spawn('Bob')
    await w.advance(50)
    const c = w.spawn('Cy')
    await w.advance(500)
    expect(h.room.resetRoom()).toBe(true)
    await w.advance(200)
    for (const p of [h, b, c]) expect(p.events.reset).toEqual([{}])
  })

  // Regression (fixed; was in room.ts onFrame, authority branch): when the host is a plain member, its `mod reset`
  // reaches the authority, which forwards `reset` to every member (the host included) but never
  // emits `reset` on its own room — the authority participant's chat is not cleared. The local
  // path (host === authority) emits it in `moderate()`. Fix: in `onFrame`, after
  // `authority.handle(from, m)`, emit `reset` locally when `m.t === 'mod' && m.op === 'reset'` and
  // the command was accepted (e.g. have `Authority.moderate` report the op through a new
  // `ctx.reset()` callback that the room maps to `events.emit('reset', {})`).
  test('R18: a host that is a plain member resets every member, the authority included', async () => {
    const w = world(32, { kind: 'name', name: 'Host' })
    const a = w.spawn('Ann')
    await w.advance(50)
    const h = w.spawn('Host')
    await w.advance(300)
    const b = w.spawn('Bob')
    await w.advance(500)
    expect(h.room.resetRoom()).toBe(true)
    await w.advance(200)
    expect(h.events.reset).toEqual([{}])
    expect(b.events.reset).toEqual([{}])
    expect(a.events.reset).toEqual([{}])
  })
})

// ── R19: admission gate ──────────────────────────────────────────────────────────────────────

describe('R19: admission gate', () => {
  async function gated(seed: number, gate: AdmissionGate) {
    const w = world(seed)
    const a = w.spawn('Ann', { gate })
    await w.advance(50)
    return { w, a }
  }

  test('R19: admit → rostered and marked verified; the gate sees the candidate', async () => {
    const seen: { name: string; identity: string; meta: Record<string, unknown>; id: string }[] = []
    const { w, a } = await gated(33, async (c) => {
      seen.push({ id: c.id, name: c.name, identity: c.identity, meta: c.meta })
      return 'admit'
    })
    const b = w.spawn('Bob', { meta: { lang: 'de' } })
    await w.advance(500)
    expect(seen).toEqual([
      { id: w.sock(b), name: 'Bob', identity: b.identity, meta: { lang: 'de' } },
    ])
    for (const p of [a, b]) {
      expect(entry(p, w.sock(b))).toMatchObject({ name: 'Bob', verified: true })
      expect(entry(p, w.sock(a))!.verified).toBe(false)
    }
    // Verification sticks through later announces.
    b.room.setName('Bobby')
    await w.advance(300)
    expect(entry(a, w.sock(b))).toMatchObject({ name: 'Bobby', verified: true })
    expect(seen).toHaveLength(1)
  })

  test('R19: refuse → `unverified`, never rostered', async () => {
    let calls = 0
    const { w, a } = await gated(34, async () => {
      calls++
      return 'refuse'
    })
    const b = w.spawn('Bob')
    await w.advance(500)
    expect(snap(b).lobby).toBe('unverified')
    await w.advance(4 * TIMING.pingMs)
    expect(snap(b).lobby).toBe('unverified')
    expect(snap(b).participants).toEqual([])
    expect(w.everRostered).not.toContain(w.sock(b))
    expect(ids(a)).toEqual([w.sock(a)])
    expect(calls).toBe(1) // a refused peer stops announcing
  })

  for (const how of ['throws', 'rejects'] as const) {
    test(`R19: a gate that ${how} holds the candidate; a later announce is admitted`, async () => {
      let calls = 0
      const { w, a } = await gated(35, (async () => {
        calls++
        if (calls === 1) {
          if (how === 'throws') throw new Error('verifier down')
          return Promise.reject(new Error('verifier down'))
        }
        return 'admit'
      }) as AdmissionGate)
      const b = w.spawn('Bob')
      await w.advance(200)
      expect(calls).toBe(1)
      expect(ids(a)).toEqual([w.sock(a)])
      expect(snap(b).participants).toEqual([])
      expect(snap(b).lobby).toBeNull()
      expect(snap(a).phase).toBe('joined')
      await w.advance(2 * TIMING.pingMs)
      expect(calls).toBe(2)
      for (const p of [a, b]) expect(entry(p, w.sock(b))).toMatchObject({ verified: true })
    })
  }

  test('R19: a synchronously throwing gate holds the candidate without crashing', async () => {
    let calls = 0
    const { w, a } = await gated(36, ((): Promise<'admit'> => {
      calls++
      if (calls === 1) throw new Error('boom')
      return Promise.resolve('admit')
    }) as AdmissionGate)
    const b = w.spawn('Bob')
    await w.advance(200)
    expect(ids(a)).toEqual([w.sock(a)])
    await w.advance(2 * TIMING.pingMs)
    expect(calls).toBe(2)
    expect(ids(a)).toContain(w.sock(b))
  })

  test('R19: a gate that never answers holds the candidate until gateTimeoutMs, then retries', async () => {
    let calls = 0
    const { w, a } = await gated(37, () => {
      calls++
      return calls === 1 ? new Promise<'admit'>(() => undefined) : Promise.resolve('admit')
    })
    const b = w.spawn('Bob')
    const t0 = w.clock.now()
    await w.advance(TIMING.gateTimeoutMs - 200)
    // Announces while verification is in flight do not start a second verification.
    expect(calls).toBe(1)
    expect(ids(a)).toEqual([w.sock(a)])
    let admittedAt: number | null = null
    while (admittedAt === null && w.clock.now() - t0 < TIMING.gateTimeoutMs + 4 * TIMING.pingMs) {
      await w.advance(100)
      if (ids(a).includes(w.sock(b))) admittedAt = w.clock.now()
    }
    expect(calls).toBe(2)
    expect(admittedAt).not.toBeNull()
    expect(admittedAt! - t0).toBeGreaterThanOrEqual(TIMING.gateTimeoutMs)
    expect(entry(b, w.sock(b))).toMatchObject({ verified: true })
  })

  for (const how of ['leaves', 'is killed'] as const) {
    test(`R19: a candidate that ${how} while being verified is not rostered later`, async () => {
      const verdict = deferred<'admit' | 'refuse'>()
      let calls = 0
      const { w, a } = await gated(how === 'leaves' ? 38 : 39, () => {
        calls++
        return verdict.promise
      })
      const b = w.spawn('Bob')
      await w.advance(200)
      expect(calls).toBe(1)
      const bid = w.sock(b)
      if (how === 'leaves') void b.room.leave()
      else w.bus.kill(bid)
      await w.advance(200)
      verdict.resolve('admit')
      await w.advance(TIMING.gateTimeoutMs + 2 * TIMING.pingMs)
      expect(ids(a)).toEqual([w.sock(a)])
      expect(w.everRostered).not.toContain(bid)
    })
  }
})

// ── R2: sealing ──────────────────────────────────────────────────────────────────────────────

describe('R2: everything is sealed', () => {
  test('R2: a frame sealed for another room is dropped with a `dropped` event', async () => {
    const { w, a, b, c } = await trio(40)
    const raw = await w.raw()
    const rawId = raw.self!
    const foreign = await keysOf('another-room')
    const before = [a, b, c].map(snap)
    const fake = await sealFor(foreign, {
      t: 'roster',
      members: [],
      authority: rawId,
      host: null,
      lobby: true,
      locked: true,
      epoch: 99,
      seq: 0,
    })
    raw.send(w.sock(b), fake)
    raw.send(w.sock(a), await sealFor(foreign, { t: 'mod', op: 'lock' }))
    await w.advance(200)
    expect(b.events.dropped).toEqual([{ from: rawId, code: 'ENVELOPE_INVALID' }])
    expect(a.events.dropped).toEqual([{ from: rawId, code: 'ENVELOPE_INVALID' }])
    expect([a, b, c].map(snap)).toEqual(before)
    expect(snap(b)).toBe(before[1])
  })

  test('R2: garbage bytes from a raw connection are dropped and change nothing', async () => {
    const { w, a, b, c } = await trio(41)
    const raw = await w.raw()
    const rawId = raw.self!
    const rnd = createSeededRandom(41)
    const garbage = Uint8Array.from({ length: 64 }, () => Math.floor(rnd() * 256))
    const before = [a, b, c].map(snap)
    raw.send(w.sock(a), garbage)
    raw.send(w.sock(b), Uint8Array.of(1, 2, 3))
    await w.advance(200)
    expect(a.events.dropped).toHaveLength(1)
    expect(a.events.dropped[0]!.from).toBe(rawId)
    expect(b.events.dropped).toHaveLength(1)
    expect(b.events.dropped[0]!.from).toBe(rawId)
    await w.advance(2 * TIMING.pingMs)
    expect(snap(a)).toBe(before[0])
    expect(snap(b)).toBe(before[1])
    expect(snap(c)).toBe(before[2])
  })

  test('R2: a well-sealed frame that is not a valid presence message is dropped', async () => {
    const { w, a, b } = await trio(42)
    const raw = await w.raw()
    const keys = await keysOf(ROOM)
    const before = snap(b)
    raw.send(w.sock(b), await sealText(keys, JSON.stringify({ t: 'roster', members: 'nope' })))
    raw.send(w.sock(a), await sealText(keys, 'not json'))
    await w.advance(200)
    expect(b.events.dropped).toEqual([{ from: raw.self, code: 'BAD_MESSAGE' }])
    expect(a.events.dropped).toEqual([{ from: raw.self, code: 'BAD_MESSAGE' }])
    expect(snap(b)).toBe(before)
  })

  test('R2 R6: a valid roster from a socket that is not the authority changes nothing', async () => {
    const { w, a, b, c } = await trio(43)
    const raw = await w.raw()
    const keys = await keysOf(ROOM)
    const rawId = raw.self!
    const before = snap(b)
    const engine = { v: ENGINE_VERSION, p: PROTOCOL_VERSION, f: [...FEATURES] }
    raw.send(
      w.sock(b),
      await sealFor(keys, {
        t: 'roster',
        members: [
          { id: rawId, name: 'Mallory', avatar: '', cam: false, mic: false, meta: {}, engine },
          { id: w.sock(b), name: 'Bob', avatar: '', cam: false, mic: false, meta: {}, engine },
        ],
        authority: rawId,
        host: rawId,
        lobby: true,
        locked: true,
        epoch: 99,
        seq: 0,
      }),
    )
    await w.advance(2 * TIMING.pingMs)
    expect(b.events.dropped).toEqual([])
    expect(snap(b).authority).toBe(w.sock(a))
    expect(names(b)).toEqual(['Ann', 'Bob', 'Cy'])
    expect(snap(b).locked).toBe(false)
    expect(snap(b).epoch).toBe(0)
    expect(snap(b)).toBe(before)
    expect(names(c)).toEqual(names(a))
  })
})

// ── R20: snapshots ───────────────────────────────────────────────────────────────────────────

describe('R20: snapshots', () => {
  test('R20: snapshots are frozen', async () => {
    const { b } = await trio(44, { kind: 'name', name: 'Host' })
    const s = snap(b)
    expect(Object.isFrozen(s)).toBe(true)
    expect(Object.isFrozen(s.participants)).toBe(true)
    expect(Object.isFrozen(s.knocks)).toBe(true)
    expect(Object.isFrozen(s.bans)).toBe(true)
    expect(() => {
      ;(s as { phase: string }).phase = 'left'
    }).toThrow(TypeError)
    expect(() => {
      ;(s.participants as Participant[]).push(s.participants[0]!)
    }).toThrow(TypeError)
    expect(s.phase).toBe('joined')
    expect(s.participants).toHaveLength(3)
  })

  // Regression (fixed; was in room.ts computeSnapshot): only the snapshot and its arrays are frozen; each Participant
  // and its `meta` are live objects — on the authority, `meta` IS the Authority's roster entry
  // (`{ ...m.info }` is a shallow copy), so an app mutating a snapshot (`p.meta.x = 1`) silently
  // changes the authority's state and the next roster change broadcasts it to everyone. Fix: freeze
  // each participant with a deep-frozen copy of its meta in computeSnapshot
  // (`Object.freeze({ ..., meta: deepFreeze(structuredClone(m.meta)) })`), and/or store a copy of
  // the announced meta in the Authority.
  test('R20: participant entries and their meta are immutable too', async () => {
    const { w, a, b, c } = await trio(45)
    const bob = entry(a, w.sock(b))!
    try {
      ;(bob.meta as Record<string, unknown>).injected = true
    } catch {
      // frozen: what R20 asks for
    }
    a.room.setName('Annie') // any roster change carries the mutated entry out
    await w.advance(2 * TIMING.pingMs)
    expect(entry(c, w.sock(b))!.meta).toEqual({})
    expect(Object.isFrozen(bob)).toBe(true)
    expect(Object.isFrozen(bob.meta)).toBe(true)
  })

  test('R20: getSnapshot is stable across heartbeats and changes when something visible changes', async () => {
    const { w, a, b, c } = await trio(46)
    await w.advance(2 * TIMING.pingMs)
    const before = [a, b, c].map(snap)
    const notified = [0, 0, 0]
    const offs = [a, b, c].map((p, i) => p.room.subscribe(() => notified[i]!++))
    await w.advance(6 * TIMING.pingMs)
    expect([a, b, c].map(snap)).toEqual(before)
    for (let i = 0; i < 3; i++) expect(snap([a, b, c][i]!)).toBe(before[i])
    expect(notified).toEqual([0, 0, 0])

    c.room.setMedia({ cam: true })
    await w.advance(200)
    for (let i = 0; i < 3; i++) {
      expect(snap([a, b, c][i]!)).not.toBe(before[i])
      expect(notified[i]).toBeGreaterThan(0)
      expect(entry([a, b, c][i]!, w.sock(c))!.cam).toBe(true)
    }
    // And stable again afterwards.
    const after = [a, b, c].map(snap)
    await w.advance(4 * TIMING.pingMs)
    for (let i = 0; i < 3; i++) expect(snap([a, b, c][i]!)).toBe(after[i])
    // Unsubscribe stops notifications.
    for (const off of offs) off()
    const count = [...notified]
    c.room.setMedia({ cam: false })
    await w.advance(200)
    expect(notified).toEqual(count)
    expect(entry(a, w.sock(c))!.cam).toBe(false)
  })
})
