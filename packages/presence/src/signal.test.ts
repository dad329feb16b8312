import { deriveRoomKeys, sealJson, type SignalMessage } from '@kibitz/protocol'
import { afterEach, expect, test } from 'vitest'
import { createLocalBus, type LocalBus } from './local-bus.js'
import { createRoom, type Room } from './room.js'
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
})
