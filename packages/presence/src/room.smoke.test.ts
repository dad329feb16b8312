import { startBroker, type Broker } from '@kibitz/broker'
import { afterAll, beforeAll, expect, test } from 'vitest'
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
