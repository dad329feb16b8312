import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { startBroker, type Broker } from '@kibitz/broker'
import { ErrorCode } from '@kibitz/protocol'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import { connectBroker, HANDSHAKE_REPLY_WAIT_MS, type ConnectBrokerOptions } from './socket-io.js'
import { testTag } from './testing/tag.js'
import { describeTransportContract } from './transport.contract.js'
import type { RoomTransport, RoomTransportEvents } from './transport.js'

/** Fast reconnection for tests: the first retry comes within ~40 ms. */
const FAST: ConnectBrokerOptions = {
  timeoutMs: 3_000,
  socketOptions: { reconnectionDelay: 20, reconnectionDelayMax: 100, randomizationFactor: 0 },
}

describeTransportContract('socket.io + real broker', async () => {
  const broker = await startBroker({ port: 0, host: '127.0.0.1' })
  const opened: RoomTransport[] = []
  return {
    connect(tag) {
      const t = connectBroker(broker.url, tag, FAST)
      opened.push(t)
      return t
    },
    // A transport-level close makes socket.io reconnect (a server-side `disconnect()` would not).
    blip(id) {
      broker.io.sockets.sockets.get(id)?.conn.close()
    },
    async close() {
      for (const t of opened) t.close()
      await broker.close()
    },
  }
})

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
async function until(ready: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

function closedOf(t: RoomTransport): RoomTransportEvents['closed'][] {
  const out: RoomTransportEvents['closed'][] = []
  t.on('closed', (e) => out.push(e))
  return out
}

describe('socket.io transport specifics', () => {
  let broker: Broker | undefined
  const opened: RoomTransport[] = []
  const servers: HttpServer[] = []
  /** Upgraded sockets are detached from their HTTP server: destroyed by hand. */
  const held: Duplex[] = []
  afterEach(async () => {
    for (const s of held.splice(0)) s.destroy()
    for (const t of opened.splice(0)) t.close()
    await broker?.close()
    broker = undefined
    for (const s of servers.splice(0)) {
      s.closeAllConnections()
      await new Promise<void>((r) => s.close(() => r()))
    }
  })
  afterAll(async () => {
    await broker?.close()
  })

  const open = (url: string, tag: string, opts: ConnectBrokerOptions = FAST) => {
    const t = connectBroker(url, tag, opts)
    opened.push(t)
    return t
  }

  async function listen(server: HttpServer): Promise<number> {
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
    return (server.address() as AddressInfo).port
  }

  test('malformed events and events for other tags are dropped, never thrown', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    const tag = testTag('sio-malformed')
    const a = open(broker.url, tag)
    const got: RoomTransportEvents['frame'][] = []
    const left: RoomTransportEvents['memberLeft'][] = []
    a.on('frame', (e) => got.push(e))
    a.on('memberLeft', (e) => left.push(e))
    const r = await a.join()
    expect(r.ok).toBe(true)
    const server = broker.io.sockets.sockets.get(a.self!)!
    server.emit('frame', { tag, from: 'x', payload: 'not binary' })
    server.emit('frame', null)
    server.emit('frame', { tag, from: '', payload: new Uint8Array([1]) })
    server.emit('frame', { tag: testTag('other'), from: 'x', payload: new Uint8Array([1]) })
    server.emit('member-left', { tag, id: 42 })
    server.emit('member-left', { tag: testTag('other'), id: 'z' })
    server.emit('authority-vacated', 'garbage')
    server.emit('refused', { op: 'send', error: { code: 'NO_SUCH_PEER', message: 'x' } })
    server.emit('frame', { tag, from: 'good', payload: new Uint8Array([7]) })
    await until(() => got.length === 1, 'the valid frame')
    expect(got[0]!.from).toBe('good')
    expect([...got[0]!.payload]).toEqual([7])
    expect(left).toEqual([])
  })

  test('a malformed reply is a BAD_MESSAGE result', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    const tag = testTag('sio-bad-reply')
    const a = open(broker.url, tag)
    expect((await a.join()).ok).toBe(true)
    // Replace the broker's claim handler on this socket by one that answers nonsense.
    const server = broker.io.sockets.sockets.get(a.self!)!
    server.removeAllListeners('claim')
    server.on('claim', (_req: unknown, ack: (v: unknown) => void) =>
      ack({ ok: true, granted: 'yes' }),
    )
    const r = await a.claim()
    expect(!r.ok && r.error.code).toBe(ErrorCode.BAD_MESSAGE)
  })

  test('B21: join and claim resolve from the handshake; a broker that answers only that is enough', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    // Registered after the broker's own connection handler: this broker answers the handshake's
    // join and claim (B21) and never a join or claim request.
    const requests: string[] = []
    broker.io.on('connection', (socket) => {
      socket.removeAllListeners('join')
      socket.removeAllListeners('claim')
      socket.onAny((event: string) => requests.push(`${socket.id} ${event}`))
    })
    const tag = testTag('sio-handshake')
    const a = open(broker.url, tag, { ...FAST, handshake: { claim: true } })
    const [ja, ca] = await Promise.all([a.join(), a.claim()])
    expect(ja.ok && ja.value).toEqual({ self: a.self, authority: null })
    expect(ca.ok && ca.value).toEqual({ granted: true, authority: a.self })
    const b = open(broker.url, tag, { ...FAST, handshake: { claim: true } })
    const [jb, cb] = await Promise.all([b.join(), b.claim()])
    expect(jb.ok && jb.value.authority).toBe(a.self)
    expect(cb.ok && cb.value).toEqual({ granted: false, authority: a.self })
    // The handshake answered: no duplicate request reached the broker, even after the wait for
    // an older broker's silence (HANDSHAKE_REPLY_WAIT_MS) has run out.
    await sleep(HANDSHAKE_REPLY_WAIT_MS + 100)
    expect(requests).toEqual([])
    // A handshake that joins only: claim is a request, unanswered here.
    const c = open(broker.url, tag, { ...FAST, timeoutMs: 300, handshake: {} })
    expect((await c.join()).ok).toBe(true)
    const cc = await c.claim()
    expect(!cc.ok && cc.error.code).toBe(ErrorCode.TIMEOUT)
    // Without the handshake (the default) the join request is the only way.
    const d = open(broker.url, tag, { ...FAST, timeoutMs: 300 })
    const jd = await d.join()
    expect(!jd.ok && jd.error.code).toBe(ErrorCode.TIMEOUT)
  })

  test('B21: a handshake reply that came before join() was called is still taken', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    const asked = new Set<string>()
    broker.io.on('connection', (socket) => {
      socket.removeAllListeners('join')
      socket.removeAllListeners('claim')
      socket.onAnyOutgoing((event: string) => {
        if (event === 'joined') asked.add(socket.id)
      })
    })
    const a = open(broker.url, testTag('sio-handshake-early'), { ...FAST, handshake: {} })
    await until(() => asked.size === 1, 'the joined event')
    await sleep(50)
    const r = await a.join()
    expect(r.ok && r.value.self).toBe([...asked][0])
  })

  test('B21: against a broker that ignores the handshake, the requests answer', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    // An older broker: no `auth.kibitz` reaches it.
    broker.io.use((socket, next) => {
      socket.handshake.auth = {}
      next()
    })
    const tag = testTag('sio-old-broker')
    const a = open(broker.url, tag, { ...FAST, handshake: { claim: true } })
    const [ja, ca] = await Promise.all([a.join(), a.claim()])
    expect(ja.ok && ja.value).toEqual({ self: a.self, authority: null })
    expect(ca.ok && ca.value).toEqual({ granted: true, authority: a.self })
  })

  test('B21: a reconnect re-joins with a request, not the handshake (which must not claim again)', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    const auths: unknown[] = []
    broker.io.use((socket, next) => {
      auths.push(socket.handshake.auth)
      next()
    })
    const tag = testTag('sio-handshake-reconnect')
    const a = open(broker.url, tag, {
      ...FAST,
      handshake: { claim: true },
      socketOptions: { ...FAST.socketOptions, auth: { app: 'x' } },
    })
    const resets: RoomTransportEvents['reset'][] = []
    a.on('reset', (e) => resets.push(e))
    expect((await a.join()).ok).toBe(true)
    broker.io.sockets.sockets.get(a.self!)?.conn.close()
    await until(() => resets.length === 1, 'the re-join')
    expect(auths).toEqual([{ app: 'x', kibitz: { join: tag, claim: true } }, { app: 'x' }])
    // The new socket is a member without the slot (the old id's claim went with it).
    expect(resets[0]!.authority).toBeNull()
  })

  test('a request without an ack is a TIMEOUT result', async () => {
    // An HTTP server that never completes the websocket upgrade.
    const port = await listen(createServer().on('upgrade', (_req, socket) => held.push(socket)))
    const t = open(`http://127.0.0.1:${port}`, testTag('sio-timeout'), {
      timeoutMs: 150,
      reconnect: false,
    })
    const r = await t.join()
    expect(!r.ok && r.error.code).toBe(ErrorCode.TIMEOUT)
  })

  test('without reconnection a failed connect emits closed', async () => {
    const server = createServer()
    const port = await listen(server)
    await new Promise<void>((r) => server.close(() => r()))
    servers.splice(servers.indexOf(server), 1)
    const t = open(`http://127.0.0.1:${port}`, testTag('sio-refused'), {
      ...FAST,
      reconnect: false,
    })
    const closed = closedOf(t)
    await until(() => closed.length === 1, 'closed')
    expect(closed[0]!.reason).toMatch(/cannot connect/)
    expect((await t.join()).ok).toBe(false)
  })

  test('B18: a broker shutdown closes the transport', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    const t = open(broker.url, testTag('sio-shutdown'))
    const closed = closedOf(t)
    expect((await t.join()).ok).toBe(true)
    await broker.close()
    broker = undefined
    await until(() => closed.length === 1, 'closed', 10_000)
    expect(closed[0]!.reason).toMatch(/disconnected/)
  })

  test('after a blip the transport gives up when reconnection attempts run out', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    const t = open(broker.url, testTag('sio-blip-giveup'), {
      ...FAST,
      socketOptions: { ...FAST.socketOptions, reconnectionAttempts: 2 },
    })
    const closed = closedOf(t)
    expect((await t.join()).ok).toBe(true)
    // Stop accepting new connections, then drop the live one at the transport level.
    broker.httpServer.close()
    expect(broker.httpServer.listening).toBe(false)
    broker.io.sockets.sockets.get(t.self!)?.conn.close()
    await until(() => closed.length === 1, 'closed', 10_000)
    expect(closed[0]!.reason).toBe('reconnection gave up')
  })

  test('a server-side disconnect (broker shutdown, flood guard) closes without reconnecting', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    const t = open(broker.url, testTag('sio-server-disconnect'))
    const closed = closedOf(t)
    const resets: unknown[] = []
    t.on('reset', (e) => resets.push(e))
    expect((await t.join()).ok).toBe(true)
    broker.io.sockets.sockets.get(t.self!)?.disconnect(true)
    await until(() => closed.length === 1, 'closed')
    expect(closed[0]!.reason).toMatch(/io server disconnect/)
    await sleep(150)
    expect(resets).toEqual([])
    expect(broker.io.sockets.sockets.size).toBe(0)
  })

  test('send is fire-and-forget: a refused frame comes back as nothing', async () => {
    broker = await startBroker({ port: 0, host: '127.0.0.1' })
    const tag = testTag('sio-refused-send')
    const a = open(broker.url, tag)
    const b = open(broker.url, tag)
    const got: RoomTransportEvents['frame'][] = []
    b.on('frame', (e) => got.push(e))
    expect((await a.join()).ok).toBe(true)
    expect((await b.join()).ok).toBe(true)
    a.send('nobody', new Uint8Array([1]))
    a.send(b.self!, new Uint8Array(0))
    a.send(b.self!, new Uint8Array([5]))
    await until(() => got.length === 1, 'the good frame')
    expect(got[0]).toEqual({ from: a.self, payload: new Uint8Array([5]) })
  })
})
