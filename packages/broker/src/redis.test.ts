import {
  connectClient,
  requireBinary,
  startBrokerProcess,
  startRedis,
  type BrokerProcess,
  type BrokerTestClient,
  type RedisHandle,
} from '@kibitz/test-utils'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { bytes, codeOf, must, tagOf } from './testing/plane.js'

// B17 B18: several broker processes as one over a real redis-server (TESTING.md).
const redisBin = requireBinary('redis-server')

describe.skipIf(!redisBin)('redis scale-out: two broker processes', () => {
  let redis: RedisHandle
  let a: BrokerProcess
  let b: BrokerProcess
  const open: BrokerTestClient[] = []
  const client = async (p: BrokerProcess) => {
    const c = await connectClient(p.url)
    open.push(c)
    return c
  }

  beforeAll(async () => {
    redis = await startRedis()
    const args = ['--redis', redis.url, '--max-sockets-per-tag', '12']
    ;[a, b] = await Promise.all([startBrokerProcess(args), startBrokerProcess(args)])
  })
  afterAll(async () => {
    for (const c of open) c.close()
    await Promise.allSettled([a?.kill('SIGTERM'), b?.kill('SIGTERM')])
    await redis?.stop()
  })

  test('B6 B17: clients on different processes in one tag route to each other, `from` stamped', async () => {
    const x = await client(a)
    const y = await client(b)
    const z = await client(b)
    const tag = tagOf('cross')
    must(await x.join(tag))
    must(await y.join(tag))
    must(await z.join(tagOf('cross-other')))
    must(await x.send(tag, y.id, bytes(1, 2)))
    must(await y.send(tag, x.id, bytes(3, 4)))
    await y.waitFor(() => y.received.frames.length === 1, 3000, 'frame on b')
    await x.waitFor(() => x.received.frames.length === 1, 3000, 'frame on a')
    expect(y.received.frames[0]).toMatchObject({ tag, from: x.id })
    expect([...y.received.frames[0]!.payload]).toEqual([1, 2])
    expect(x.received.frames[0]).toMatchObject({ tag, from: y.id })
    // A remote socket outside the tag gets nothing (the broker cannot tell the sender; B6).
    must(await x.send(tag, z.id, bytes(9)))
    // Cross-node latency, for the record.
    const rtts: number[] = []
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now()
      const n = y.received.frames.length
      x.sendNoAck(tag, y.id, bytes(i))
      await y.waitFor(() => y.received.frames.length > n, 3000, 'frame')
      rtts.push(performance.now() - t0)
    }
    rtts.sort((p, q) => p - q)
    console.info(
      `cross-process relay a→b: p50 ${rtts[25]!.toFixed(2)} ms, max ${rtts[49]!.toFixed(2)} ms`,
    )
    expect(z.received.frames).toEqual([])
  })

  test('B22 B17: a handshake announce reaches a holder on the other process', async () => {
    const tag = tagOf('cross-announce')
    const holder = await connectClient(a.url, { auth: { kibitz: { join: tag, claim: true } } })
    open.push(holder)
    await holder.waitFor(() => holder.received.joined.length === 1, 3000, 'holder joined')
    expect(must(holder.received.joined[0]!.claim!).granted).toBe(true)
    const joiner = await connectClient(b.url, {
      auth: { kibitz: { join: tag, claim: true, announce: bytes(5, 6, 7) } },
    })
    open.push(joiner)
    await joiner.waitFor(() => joiner.received.joined.length === 1, 3000, 'joiner joined')
    expect(joiner.received.joined[0]!.announced).toBe(holder.id)
    await holder.waitFor(() => holder.received.frames.length === 1, 3000, 'the announce')
    expect(holder.received.frames[0]).toMatchObject({ tag, from: joiner.id })
    expect([...holder.received.frames[0]!.payload]).toEqual([5, 6, 7])
  })

  test('B4 B17: a 10-client claim race across both processes has one winner everyone agrees on', async () => {
    const tag = tagOf('xrace')
    const clients = await Promise.all(
      Array.from({ length: 10 }, (_, i) => client(i % 2 === 0 ? a : b)),
    )
    await Promise.all(clients.map((c) => c.join(tag)))
    const replies = (await Promise.all(clients.map((c) => c.claim(tag)))).map(must)
    expect(replies.filter((r) => r.granted)).toHaveLength(1)
    const authority = replies.find((r) => r.granted)!.authority
    for (const r of replies) expect(r.authority).toBe(authority)
  })

  test('B3: sockets per tag is one limit across processes', async () => {
    const tag = tagOf('xfull')
    const clients = await Promise.all(
      Array.from({ length: 13 }, (_, i) => client(i % 2 === 0 ? a : b)),
    )
    for (const c of clients.slice(0, 12)) must(await c.join(tag))
    expect(codeOf(await clients[12]!.join(tag))).toBe('ROOM_FULL')
    must(await clients[0]!.leave(tag))
    must(await clients[12]!.join(tag))
  })

  test('B9 B10: member-left reaches a remote authority; release vacates for remote members', async () => {
    const tag = tagOf('xleft')
    const auth = await client(a)
    const m1 = await client(b)
    const m2 = await client(b)
    for (const c of [auth, m1, m2]) must(await c.join(tag))
    must(await auth.claim(tag))
    m1.close()
    await auth.waitFor(
      () => auth.received.memberLeft.length === 1,
      3000,
      'member-left across nodes',
    )
    expect(auth.received.memberLeft[0]).toEqual({ tag, id: m1.id })
    const t0 = performance.now()
    must(await auth.release(tag))
    await m2.waitFor(() => m2.received.vacated.length === 1, 3000, 'vacated across nodes')
    console.info(`release → remote authority-vacated: ${(performance.now() - t0).toFixed(1)} ms`)
    expect(m2.received.vacated).toEqual([{ tag, authority: auth.id }])
    expect(must(await m2.claim(tag)).granted).toBe(true)
  })

  test('B18: SIGTERM on a process holding a claim releases it at once and exits 0', async () => {
    const c = await startBrokerProcess(['--redis', redis.url])
    const tag = tagOf('xterm')
    const holder = await client(c)
    const member = await client(b)
    must(await holder.join(tag))
    must(await member.join(tag))
    must(await holder.claim(tag))
    const t0 = performance.now()
    await c.kill('SIGTERM')
    expect(c.child.exitCode).toBe(0)
    await member.waitFor(() => member.received.vacated.length === 1, 3000, 'vacated after SIGTERM')
    console.info(`SIGTERM → remote authority-vacated: ${(performance.now() - t0).toFixed(0)} ms`)
    expect(must(await member.claim(tag)).granted).toBe(true)
  })

  test('B17: kill -9 of the process holding a claim: remote members hear authority-vacated within the claim TTL and can claim', async () => {
    const tag = tagOf('xkill')
    const holder = await client(a)
    const m1 = await client(b)
    const m2 = await client(b)
    for (const c of [holder, m1, m2]) must(await c.join(tag))
    must(await holder.claim(tag))
    const holderId = holder.id
    // Let at least one refresh happen, so the kill lands mid-TTL as it would in production.
    await new Promise((r) => setTimeout(r, 2000))
    const t0 = performance.now()
    await a.kill('SIGKILL')
    await Promise.all(
      [m1, m2].map((m) =>
        m.waitFor(() => m.received.vacated.length === 1, 12_000, 'vacated after kill -9'),
      ),
    )
    const vacancyMs = performance.now() - t0
    console.info(
      `kill -9 → authority-vacated on the surviving process: ${vacancyMs.toFixed(0)} ms (claim TTL 5000 ms)`,
    )
    expect(m1.received.vacated[0]).toEqual({ tag, authority: holderId })
    expect(vacancyMs).toBeLessThan(5000 + 2000)
    const replies = (await Promise.all([m1.claim(tag), m2.claim(tag)])).map(must)
    expect(replies.filter((r) => r.granted)).toHaveLength(1)
  }, 30_000)
})
