import fc from 'fast-check'
import { PacketType, encodeBrokerPacket } from '@kibitz/protocol'
import { afterAll, beforeAll, expect, test } from 'vitest'
import WebSocket from 'ws'
import { bytes, must, sleep, startRig, tagOf, type Rig } from './testing/plane.js'

// B12/B13 at the wire: raw WebSocket messages that no client encoder would produce (random bytes,
// truncated and mutated broker packets, socket.io text packets of the default parser, engine.io
// noise). The broker closes only the offending connection; other rooms keep relaying.

let rig: Rig
beforeAll(async () => {
  rig = await startRig()
})
afterAll(async () => {
  await rig?.close()
})

function rawSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
    perMessageDeflate: false,
  })
  ws.on('error', () => {})
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

test('garbage on the wire closes only the sender; other rooms keep flowing', async () => {
  const [a, b] = await rig.clients(2)
  const tag = tagOf('wire')
  must(await a!.join(tag))
  const bSelf = must(await b!.join(tag)).self
  const got: number[] = []
  b!.onFrame((f) => got.push(f.payload[0]!))

  const seed = encodeBrokerPacket({
    type: PacketType.EVENT,
    nsp: '/',
    data: ['send', { tag, to: bSelf, payload: bytes(1) }],
  })
  const junk = fc.sample(
    fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 400 }).map((u) => Buffer.from(u)),
      fc.nat({ max: seed.length - 1 }).map((cut) => Buffer.from(seed.subarray(0, cut))),
      fc.tuple(fc.nat({ max: seed.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
        const m = Buffer.from(seed)
        m[i] = v
        return m
      }),
      fc.constantFrom(
        '40',
        '42["send",{}]',
        '451-["send",{"_placeholder":true,"num":0}]',
        '4',
        '6',
        '',
      ),
      fc.string({ maxLength: 200 }),
    ),
    600,
  )

  let closed = 0
  const sockets: WebSocket[] = []
  for (let i = 0; i < 30; i++) {
    const ws = await rawSocket(rig.broker.url)
    ws.on('close', () => closed++)
    ws.send(encodeBrokerPacket({ type: PacketType.CONNECT, nsp: '/' }))
    sockets.push(ws)
  }
  let n = 0
  for (const m of junk) {
    const ws = sockets[n++ % sockets.length]!
    if (ws.readyState === WebSocket.OPEN) ws.send(m)
    if (n % 100 === 0) {
      void a!.send(tag, bSelf, bytes(n / 100))
      await sleep(5)
    }
  }
  await sleep(300)
  // Most raw sockets sent something invalid and were closed; the broker itself is fine.
  expect(closed).toBeGreaterThan(20)
  void a!.send(tag, bSelf, bytes(99))
  await sleep(100)
  expect(got).toContain(99)
  expect(got.length).toBeGreaterThanOrEqual(6)
  const health = await fetch(`${rig.broker.url}/healthz`)
  expect(health.status).toBe(200)
  for (const ws of sockets) ws.terminate()
})
