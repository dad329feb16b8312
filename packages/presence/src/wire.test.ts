import { deriveRoomKeys, type SignalMessage } from '@kibitz/protocol'
import { expect, test } from 'vitest'
import { Serial } from './serial.js'
import type { RoomTransport } from './transport.js'
import { PresenceWire } from './wire.js'

test('a burst is sealed at once and sent in submission order', async () => {
  const keys = await deriveRoomKeys('wire-burst')
  if (!keys.ok) throw keys.error
  const sent: { to: string; payload: Uint8Array }[] = []
  const transport = {
    send: (to: string, payload: Uint8Array) => void sent.push({ to, payload }),
  } as unknown as RoomTransport
  let started = 0
  const outbox = new Serial()
  const wire = new PresenceWire(keys.value, transport, outbox, (work) => {
    started++
    return work
  })
  const burst: SignalMessage[] = Array.from({ length: 20 }, (_, i) => ({
    t: 'ice',
    candidate: { candidate: `candidate:${i} 1 udp 1 127.0.0.1 ${9000 + i} typ host` },
    link: 1,
  }))
  for (const [i, m] of burst.entries()) wire.send(`peer-${i % 3}`, m)
  // Every seal is under way before the first one is sent.
  expect(started).toBe(20)
  expect(sent).toHaveLength(0)
  await outbox.whenIdle()
  expect(sent.map((s) => s.to)).toEqual(burst.map((_, i) => `peer-${i % 3}`))
  const opened = await Promise.all(sent.map((s) => wire.open(s.payload)))
  expect(opened.map((o) => o.plane === 'signal' && o.message)).toEqual(burst)
})
