import fc from 'fast-check'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { bytes, must, startRig, tagOf, type Rig } from './testing/plane.js'
import type { BrokerTestClient } from '@kibitz/test-utils'

// B13: 100,000 fuzzed events from several clients; afterwards the broker still serves a normal
// join / claim / send round trip and its HTTP health and metrics.

const TOTAL = 100_000
const CLIENTS = 4
const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
])

let rig: Rig
beforeAll(async () => {
  // Rate limiting off for the fuzzers, so every event reaches the decoders and handlers.
  rig = await startRig({ rate: 1_000_000, burst: 1_000_000 })
})
afterAll(async () => {
  await rig?.close()
})

function fuzzArbitrary(tags: string[], ids: string[]) {
  const tag = fc.oneof(
    fc.constantFrom(...tags),
    fc.string({ maxLength: 50 }),
    fc.anything({ maxDepth: 1 }),
  )
  const to = fc.oneof(fc.constantFrom(...ids), fc.string({ maxLength: 80 }), fc.integer())
  const binary = fc.oneof(
    { weight: 20, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 60_000, max: 100_000 }).map((n) => new Uint8Array(n)),
    },
  )
  const payload = fc.oneof(binary, fc.string({ maxLength: 100 }), fc.anything({ maxDepth: 2 }))
  const hugeString = fc.integer({ min: 10_000, max: 60_000 }).map((n) => 'x'.repeat(n))
  const request = fc.oneof(
    { weight: 4, arbitrary: fc.record({ tag, to, payload }, { requiredKeys: [] }) },
    { weight: 2, arbitrary: fc.record({ tag }) },
    {
      weight: 2,
      arbitrary: fc.anything({ maxDepth: 3, withTypedArray: true, withNullPrototype: true }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        tag,
        to,
        payload,
        from: fc.string(),
        extra: fc.object({ maxDepth: 4 }),
      }),
    },
    { weight: 1, arbitrary: binary },
    { weight: 1, arbitrary: fc.constant({ ['__proto__']: { tag: tags[0] } }) },
    { weight: 1, arbitrary: fc.oneof(hugeString, fc.constant(undefined), fc.constant(null)) },
  )
  const event = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('join', 'claim', 'release', 'leave', 'send') },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'frame',
        'member-left',
        'authority-vacated',
        'refused',
        'ping',
        '',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).filter((s) => !RESERVED.has(s)) },
  )
  return fc.record({
    event,
    args: fc.array(request, { minLength: 0, maxLength: 3 }),
    ack: fc.boolean(),
  })
}

test('100k fuzzed events: no crash, no stall, the broker keeps serving', async () => {
  const clients: BrokerTestClient[] = await rig.clients(CLIENTS)
  const tags = [tagOf('fz-a'), tagOf('fz-b'), tagOf('fz-c')]
  const ids = clients.map((c) => c.id)
  for (const c of clients) for (const t of tags.slice(0, 2)) must(await c.join(t))
  const t0 = performance.now()
  const samples = fc.sample(fuzzArbitrary(tags, ids), { numRuns: TOTAL, seed: 20_251_121 })
  const started = performance.now()
  console.info(`fuzz: generated ${TOTAL} samples in ${(started - t0).toFixed(0)} ms`)
  let acks = 0
  const disconnected = new Set<string>()
  for (const c of clients) c.socket.on('disconnect', () => disconnected.add(c.id))

  for (let i = 0; i < samples.length; i += 500) {
    for (let j = i; j < Math.min(i + 500, samples.length); j++) {
      const s = samples[j]!
      const c = clients[j % CLIENTS]!
      if (!c.socket.connected) continue
      if (s.ack) c.socket.emit(s.event, ...s.args, () => void acks++)
      else c.socket.emit(s.event, ...s.args)
    }
    await new Promise((r) => setImmediate(r))
  }
  // Per-socket order (B15): once a join on each fuzzer is answered, everything before it was handled.
  await Promise.all(
    clients.filter((c) => c.socket.connected).map((c) => c.join(tags[2]!).catch(() => null)),
  )
  const elapsed = performance.now() - started
  const snap = rig.broker.metrics.snapshot()
  console.info(
    `fuzz: ${TOTAL} events in ${elapsed.toFixed(0)} ms; acks ${acks}; relayed ${snap.framesRelayed}; unknown ${snap.unknownEvents}; refused ${JSON.stringify(snap.refused)}; handler errors ${snap.handlerErrors}; fuzzers disconnected ${disconnected.size}`,
  )
  expect(snap.handlerErrors).toBe(0)
  expect(snap.unknownEvents).toBeGreaterThan(0)
  expect((snap.refused.BAD_MESSAGE ?? 0) > 1000).toBe(true)

  // A normal round trip on fresh sockets.
  const [a, b] = await rig.clients(2)
  const tag = tagOf('after-fuzz')
  must(await a!.join(tag))
  must(await b!.join(tag))
  expect(must(await a!.claim(tag)).granted).toBe(true)
  must(await b!.send(tag, a!.id, bytes(42)))
  await a!.waitFor(() => a!.received.frames.some((f) => f.payload[0] === 42), 3000, 'the frame')
  const health = await fetch(`${rig.broker.url}/healthz`)
  expect(health.status).toBe(200)
  const metrics = await (await fetch(`${rig.broker.url}/metrics`)).text()
  expect(metrics).toMatch(/kibitz_broker_frames_refused_total\{code="BAD_MESSAGE"\} \d+/)
  expect(elapsed).toBeLessThan(30_000)
}, 60_000)
