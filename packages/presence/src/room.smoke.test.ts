import { startBroker, type Broker } from '@kibitz/broker'
import { afterAll, beforeAll, expect, test, vi } from 'vitest'
import { createRoom, type Room } from './index.js'
import { connectBroker } from './socket-io.js'

let broker: Broker
beforeAll(async () => {
  broker = await startBroker({ port: 0 })
})
afterAll(async () => {
  await broker?.close()
})

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

test('three participants converge; the authority leaves; the survivors migrate', async () => {
  const mk = (name: string) =>
    createRoom({
      room: 'smoke-room',
      name,
      connect: (tag) => connectBroker(broker.url, tag),
      timing: { pingMs: 200, reapMs: 1000 },
    })
  const rooms: Room[] = [mk('A'), mk('B'), mk('C')]
  for (const r of rooms) await r.start()
  await until(() => rooms.every((r) => r.getSnapshot().participants.length === 3))
  const auth = rooms.find((r) => r.getSnapshot().isAuthority)!
  expect(rooms.filter((r) => r.getSnapshot().isAuthority)).toHaveLength(1)
  await auth.leave()
  const rest = rooms.filter((r) => r !== auth)
  const t0 = Date.now()
  await until(
    () =>
      rest.every((r) => r.getSnapshot().participants.length === 2) &&
      rest.filter((r) => r.getSnapshot().isAuthority).length === 1 &&
      rest.every(
        (r) =>
          r.getSnapshot().authority ===
          rest.find((x) => x.getSnapshot().isAuthority)!.getSnapshot().self,
      ),
  )
  console.log('migration converged in', Date.now() - t0, 'ms; epoch', rest[0]!.getSnapshot().epoch)
  for (const r of rest) await r.leave()
})

/** A room that joins with its first announce in the handshake (broker B22), as the call does. */
const early = (name: string, room: string) =>
  createRoom({
    room,
    name,
    connect: (tag, handshake) =>
      connectBroker(broker.url, tag, { handshake: { claim: true, announce: handshake.announce } }),
    // No heartbeat inside the test: every frame counted below is the join's own.
    timing: { pingMs: 60_000, reapMs: 120_000 },
  })

type Socket = NonNullable<ReturnType<Broker['io']['sockets']['sockets']['get']>>

/** Every frame the broker relays from now on, as `[to, from]` socket ids. */
function relays(): [string, string][] {
  const out: [string, string][] = []
  const watch = (socket: Socket) =>
    socket.onAnyOutgoing((event: string, frame: { from?: string }) => {
      if (event === 'frame') out.push([socket.id, String(frame.from)])
    })
  for (const socket of broker.io.sockets.sockets.values()) watch(socket)
  broker.io.on('connection', watch)
  return out
}

test('B22: a newcomer is rostered by the announce its handshake carried, and sends it only once', async () => {
  const a = early('A', 'b22-once')
  await a.start()
  const b = early('B', 'b22-once')
  const frames = relays()
  await b.start()
  await until(() => [a, b].every((r) => r.getSnapshot().participants.length === 2))
  await new Promise((r) => setTimeout(r, 100))
  // The handshake's announce and nothing more: no second announce once joined.
  const [ida, idb] = [a.getSnapshot().self, b.getSnapshot().self]
  expect(frames.filter(([to, from]) => to === ida && from === idb)).toHaveLength(1)
  await Promise.all([a.leave(), b.leave()])
})

/**
 * A newcomer whose handshake announce is counted: how many seals (AES-GCM encrypts) the transport's
 * request for it caused. `before` runs when the transport asks, before the announce is made.
 */
function counted(room: string, before: (self: Room) => void = () => {}) {
  const seals = { atAsk: -1 }
  const b: Room = createRoom({
    room,
    name: 'B',
    connect: (tag, handshake) =>
      connectBroker(broker.url, tag, {
        handshake: {
          claim: true,
          announce: async () => {
            before(b)
            const encrypt = vi.spyOn(globalThis.crypto.subtle, 'encrypt')
            try {
              return await handshake.announce()
            } finally {
              seals.atAsk = encrypt.mock.calls.length
              encrypt.mockRestore()
            }
          },
        },
      }),
    timing: { pingMs: 60_000, reapMs: 120_000 },
  })
  return { b, seals }
}

test('B22: the handshake announce is sealed ahead, while the socket opens', async () => {
  const a = early('A', 'b22-ahead')
  await a.start()
  const { b, seals } = counted('b22-ahead')
  await b.start()
  await until(() => a.getSnapshot().participants.length === 2)
  // Sealed when the socket started to open: the transport's request found it done.
  expect(seals.atAsk).toBe(0)
  await Promise.all([a.leave(), b.leave()])
})

test('B22: a change made while the socket opened is in the handshake announce (sealed again)', async () => {
  const a = early('A', 'b22-resealed')
  await a.start()
  const frames = relays()
  // The media changes after the announce was sealed ahead, before the transport asks for it.
  const { b, seals } = counted('b22-resealed', (self) => self.setMedia({ cam: true }))
  await b.start()
  await until(() => a.getSnapshot().participants.some((p) => p.name === 'B' && p.cam))
  await new Promise((r) => setTimeout(r, 100))
  expect(seals.atAsk).toBe(1)
  // One announce, the handshake's, already with the camera on: none sent again once joined.
  const [ida, idb] = [a.getSnapshot().self, b.getSnapshot().self]
  expect(frames.filter(([to, from]) => to === ida && from === idb)).toHaveLength(1)
  await Promise.all([a.leave(), b.leave()])
})

test('B22: a newcomer that changed while its handshake was in flight announces the change at once', async () => {
  const a = early('A', 'b22-changed')
  await a.start()
  // Hold every later connection in the broker until released: the announce is sealed by then.
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  let seen = false
  broker.io.use((_socket, next) => {
    if (seen) return next()
    seen = true
    void held.then(() => next())
  })
  const b = early('B', 'b22-changed')
  const started = b.start()
  await until(() => seen)
  b.setMedia({ cam: true })
  release()
  await started
  await until(() => a.getSnapshot().participants.some((p) => p.name === 'B' && p.cam))
  await Promise.all([a.leave(), b.leave()])
})
