import { deriveRoomKeys, sealJson, type SignalMessage } from '@kibitz/protocol'
import { afterEach, expect, test } from 'vitest'
import { createLocalBus, type LocalBus } from './local-bus.js'
import { createRoom, SIGNAL_HOLD, type Room } from './room.js'
import { createManualClock, type ManualClock } from './testing/clock.js'
import { createSeededRandom } from './testing/random.js'
import type { RoomTransport } from './transport.js'
import type { HostTier, RoomEvents } from './types.js'

// R21: mesh signaling rides the room's sealed frames, only between rostered peers.

const TIMING = { pingMs: 500, reapMs: 3000, freezeGuardMs: 1500 }
const ROOM = 'signal-plane'
const sdp: SignalMessage = { t: 'sdp', description: { type: 'offer', sdp: 'v=0\r\n' }, link: 1 }

let clock: ManualClock
let bus: LocalBus
const rooms: Room[] = []
afterEach(async () => {
  for (const r of rooms.splice(0)) void r.leave()
  await clock.advance(100)
  bus.close()
})

function setup() {
  clock = createManualClock(0)
  bus = createLocalBus({ clock, random: createSeededRandom(21) })
}

function peer(name: string, host: HostTier = { kind: 'none' }) {
  let transport: RoomTransport | null = null
  const room = createRoom({
    room: ROOM,
    name,
    host,
    timing: TIMING,
    clock,
    random: createSeededRandom(name.length),
    connect: (tag) => (transport = bus.connect(tag)),
  })
  const signals: RoomEvents['signal'][] = []
  const dropped: RoomEvents['dropped'][] = []
  room.on('signal', (s) => signals.push(s))
  room.on('dropped', (d) => dropped.push(d))
  rooms.push(room)
  void room.start()
  return { room, signals, dropped, transport: () => transport! }
}

test('R21: a signal reaches a rostered peer with the true sender', async () => {
  setup()
  const a = peer('A')
  await clock.advance(50)
  const b = peer('B')
  await clock.advance(1000)
  const bId = b.room.getSnapshot().self!
  expect(a.room.sendSignal(bId, sdp)).toBe(true)
  await clock.advance(50)
  expect(b.signals).toEqual([{ from: a.room.getSnapshot().self, message: sdp }])
  expect(a.room.sendSignal('nobody', sdp)).toBe(false)
})

test('R21: no signal to or from a peer waiting in the lobby', async () => {
  setup()
  const host = peer('Host', { kind: 'name', name: 'Host', lobby: true })
  await clock.advance(50)
  const w = peer('W', { kind: 'name', name: 'Host', lobby: true })
  await clock.advance(1000)
  expect(w.room.getSnapshot().lobby).toBe('waiting')
  const wId = w.room.getSnapshot().self!
  const hostId = host.room.getSnapshot().self!
  expect(host.room.sendSignal(wId, sdp)).toBe(false)
  expect(w.room.sendSignal(hostId, sdp)).toBe(false)
  // A waiting peer holds the room key (it has the link): a sealed signal it forges is dropped.
  const keys = await deriveRoomKeys(ROOM)
  if (!keys.ok) throw keys.error
  const sealed = await sealJson(keys.value, sdp)
  if (!sealed.ok) throw sealed.error
  w.transport().send(hostId, sealed.value)
  await clock.advance(50)
  expect(host.signals).toEqual([])
  expect(host.dropped).toContainEqual({ from: wId, code: 'NOT_ROSTERED' })
  // Dropped, not held: admitting W later does not hand the mesh what it sent while waiting.
  expect(host.room.admit(wId)).toBe(true)
  await clock.advance(1000)
  expect(host.room.getSnapshot().participants.map((p) => p.id)).toContain(wId)
  expect(host.signals).toEqual([])
})

test('R21: before its first roster a newcomer may signal the authority the broker named; the authority gets it with the roster', async () => {
  setup()
  const a = peer('A')
  await clock.advance(1000)
  const aId = a.room.getSnapshot().self!
  const b = peer('B')
  // The moment the broker has joined B, before any roster: B may dial A, and nobody else.
  let early = false
  for (let i = 0; i < 200 && !early; i++) {
    await clock.advance(1)
    const s = b.room.getSnapshot()
    if (s.phase === 'joined' && s.participants.length === 0) {
      expect(s.authority).toBe(aId)
      expect(b.room.sendSignal('someone-else', sdp)).toBe(false)
      early = b.room.sendSignal(aId, sdp)
    }
  }
  expect(early).toBe(true)
  await clock.advance(500)
  const bId = b.room.getSnapshot().self!
  expect(a.signals).toEqual([{ from: bId, message: sdp }])
  expect(a.dropped).toEqual([])
})

/**
 * A and C in the room; then C stops hearing from the authority A, and B joins: B's roster names C,
 * but the roster naming B does not reach C until `bus.heal(aId, cId)`.
 */
async function newcomerUnknownToC() {
  setup()
  const a = peer('A')
  await clock.advance(1000)
  const c = peer('C')
  await clock.advance(1000)
  const aId = a.room.getSnapshot().self!
  const cId = c.room.getSnapshot().self!
  bus.partition(aId, cId)
  const b = peer('B')
  await clock.advance(1000)
  return { b, c, aId, cId, bId: b.room.getSnapshot().self! }
}

test('R21: a signal that beats the roster naming its sender is held, then given in order once rostered', async () => {
  const { b, c, aId, cId, bId } = await newcomerUnknownToC()
  expect(b.room.getSnapshot().participants.map((p) => p.id)).toContain(cId)
  const ice: SignalMessage = { t: 'ice', candidate: null, link: 1 }
  expect(b.room.sendSignal(cId, sdp)).toBe(true)
  expect(b.room.sendSignal(cId, ice)).toBe(true)
  await clock.advance(100)
  expect(c.signals).toEqual([])
  expect(c.dropped).toEqual([])
  // The next heartbeat's roster names B: both signals, in order, from the true sender.
  bus.heal(aId, cId)
  await clock.advance(1500)
  expect(c.room.getSnapshot().participants.map((p) => p.id)).toContain(bId)
  expect(c.signals).toEqual([
    { from: bId, message: sdp },
    { from: bId, message: ice },
  ])
})

test('R21: held signals are bounded and expire as NOT_ROSTERED', async () => {
  const { b, c, aId, cId, bId } = await newcomerUnknownToC()
  for (let i = 0; i < SIGNAL_HOLD.maxPerSender + 3; i++) b.room.sendSignal(cId, sdp)
  await clock.advance(100)
  // Beyond the per-sender bound: dropped at once.
  expect(c.dropped).toEqual(Array.from({ length: 3 }, () => ({ from: bId, code: 'NOT_ROSTERED' })))
  // C never hears of B in time: the rest go when the hold runs out, none reaches the mesh.
  await clock.advance(SIGNAL_HOLD.ttlMs + TIMING.pingMs)
  expect(c.signals).toEqual([])
  expect(c.dropped).toHaveLength(SIGNAL_HOLD.maxPerSender + 3)
  bus.heal(aId, cId)
  await clock.advance(1500)
  expect(c.room.getSnapshot().participants.map((p) => p.id)).toContain(bId)
  expect(c.signals).toEqual([])
})
