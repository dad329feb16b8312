/**
 * Load-generator clients for the two systems under test. Both expose the same shape so the closed
 * loop in relay-load.ts drives them identically: connect into a room, send a signaling-sized payload
 * (carrying the sender index and a send timestamp) to one peer, and report each delivered payload.
 */
import { randomBytes } from 'node:crypto'
import { PacketType, brokerParser, decodeBrokerPacket, encodeBrokerPacket } from '@kibitz/protocol'
import { io, type Socket } from 'socket.io-client'
import WebSocket from 'ws'

export interface Counters {
  /** Frames the server refused (Kibitz: `refused` events; PeerJS: ERROR messages). */
  refused: number
  /** Unexpected disconnects while running. */
  disconnects: number
}

export interface RelayClient {
  /** The address other clients use to reach this one. */
  readonly id: string
  /** Send one payload of the transport's size to `to`, stamped with (sender, t). */
  send(to: string, sender: number, t: number): void
  close(): void
}

/** Called on delivery with the decoded (sender index, send timestamp in ms). */
export type OnFrame = (sender: number, t: number) => void

export interface Transport {
  readonly name: string
  readonly counters: Counters
  /** Connect one client into `room` (an opaque room key shared by its members). */
  connect(room: string, onFrame: OnFrame): Promise<RelayClient>
  /** A new room key. */
  newRoom(): string
}

function once<T>(
  register: (resolve: (v: T) => void, reject: (e: Error) => void) => void,
  ms: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)
    register(
      (v) => {
        clearTimeout(timer)
        resolve(v)
      },
      (e) => {
        clearTimeout(timer)
        reject(e)
      },
    )
  })
}

/**
 * Kibitz broker client: the real socket.io client, websocket transport only, no compression, one
 * connection per client (forceNew), no reconnection. Payload: binary, `size` bytes —
 * [u32 sender][f64 t][filler]. Sends without an ack (the broker answers refusals with `refused`).
 */
export function kibitzTransport(url: string, size: number): Transport {
  if (size < 12) throw new Error('payload size must be ≥ 12 bytes')
  const counters: Counters = { refused: 0, disconnects: 0 }
  const filler = randomBytes(size)
  return {
    name: 'kibitz',
    counters,
    newRoom: () => randomBytes(32).toString('base64url'),
    async connect(tag, onFrame) {
      const socket: Socket = io(url, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        // Typed as an options object only, but handed to `ws` as is: false turns compression off.
        perMessageDeflate: false as unknown as { threshold: number },
        timeout: 30_000,
        parser: brokerParser,
      })
      await once<void>(
        (ok, fail) => {
          socket.once('connect', () => ok())
          socket.once('connect_error', (e) => fail(e))
        },
        30_000,
        'socket.io connect',
      )
      const reply = (await socket.timeout(30_000).emitWithAck('join', { tag })) as {
        ok?: boolean
        self?: string
        error?: unknown
      }
      if (reply?.ok !== true || typeof reply.self !== 'string')
        throw new Error(`join refused: ${JSON.stringify(reply)}`)
      let closing = false
      socket.on('frame', (f: { payload: Buffer }) => {
        const p = f.payload
        onFrame(p.readUInt32LE(0), p.readDoubleLE(4))
      })
      socket.on('refused', () => counters.refused++)
      socket.on('disconnect', () => {
        if (!closing) counters.disconnects++
      })
      return {
        id: reply.self,
        send(to, sender, t) {
          const payload = Buffer.allocUnsafe(size)
          filler.copy(payload)
          payload.writeUInt32LE(sender, 0)
          payload.writeDoubleLE(t, 4)
          socket.emit('send', { tag, to, payload })
        },
        close() {
          closing = true
          socket.disconnect()
        },
      }
    },
  }
}

/**
 * Kibitz broker client speaking the socket.io v5 / engine.io v4 wire directly over a raw `ws`
 * socket (websocket transport only, no compression) — the same raw-`ws` code path the PeerJS
 * client below uses, so the two load generators cost about the same per frame and the servers are
 * what differ. engine.io: open `0{…}` (text), ping `2` → pong `3`; every socket.io packet is one
 * binary message in the broker codec (`@kibitz/protocol` broker-codec.ts).
 * Payload identical to {@link kibitzTransport}.
 */
export function kibitzWireTransport(url: string, size: number): Transport {
  if (size < 12) throw new Error('payload size must be ≥ 12 bytes')
  const counters: Counters = { refused: 0, disconnects: 0 }
  const filler = randomBytes(size)
  const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`
  return {
    name: 'kibitz',
    counters,
    newRoom: () => randomBytes(32).toString('base64url'),
    async connect(tag, onFrame) {
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false })
      let closing = false
      let joined: ((reply: unknown) => void) | null = null
      let connected: (() => void) | null = null
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) {
          if (data[0] === 0x32 /* '2' ping */) ws.send('3')
          return
        }
        const decoded = decodeBrokerPacket(data)
        if (!decoded.ok) return
        const { type, data: body } = decoded.value
        if (type === PacketType.EVENT || type === PacketType.BINARY_EVENT) {
          const [event, arg] = body as [string, { payload?: Uint8Array }]
          if (event === 'frame' && arg?.payload) {
            const p = Buffer.from(
              arg.payload.buffer,
              arg.payload.byteOffset,
              arg.payload.byteLength,
            )
            onFrame(p.readUInt32LE(0), p.readDoubleLE(4))
          } else if (event === 'refused') counters.refused++
        } else if (type === PacketType.CONNECT) {
          connected?.()
        } else if (type === PacketType.ACK) {
          joined?.((body as unknown[])[0])
        } else if (type === PacketType.DISCONNECT && !closing) {
          counters.disconnects++
        }
      })
      ws.on('close', () => {
        if (!closing) counters.disconnects++
      })
      ws.on('error', () => {})
      await once<void>(
        (ok, fail) => {
          connected = ok
          ws.once('open', () => ws.send(encodeBrokerPacket({ type: PacketType.CONNECT, nsp: '/' })))
          ws.once('error', fail)
        },
        30_000,
        'socket.io connect',
      )
      const reply = (await once<unknown>(
        (ok) => {
          joined = ok
          ws.send(
            encodeBrokerPacket({
              type: PacketType.EVENT,
              nsp: '/',
              id: 1,
              data: ['join', { tag }],
            }),
          )
        },
        30_000,
        'join',
      )) as { ok?: boolean; self?: string } | null
      if (reply?.ok !== true || typeof reply.self !== 'string')
        throw new Error(`join refused: ${JSON.stringify(reply)}`)
      return {
        id: reply.self,
        send(to, sender, t) {
          const payload = Buffer.allocUnsafe(size)
          filler.copy(payload)
          payload.writeUInt32LE(sender, 0)
          payload.writeDoubleLE(t, 4)
          ws.send(
            encodeBrokerPacket({
              type: PacketType.EVENT,
              nsp: '/',
              data: ['send', { tag, to, payload }],
            }),
          )
        },
        close() {
          closing = true
          ws.close()
        },
      }
    },
  }
}

/**
 * PeerJS server client: a raw `ws` socket speaking the PeerJS server protocol (what the PeerJS
 * browser library does underneath), no compression. Payload: a string of `size` ASCII bytes —
 * "<sender>|<t>|<filler>" — relayed as an OFFER `payload`, the way SDP travels through PeerJS.
 */
export function peerjsTransport(url: string, size: number): Transport {
  const counters: Counters = { refused: 0, disconnects: 0 }
  const filler = 'x'.repeat(size)
  const wsBase = url.replace(/^http/, 'ws')
  let next = 0
  return {
    name: 'peerjs',
    counters,
    newRoom: () => randomBytes(8).toString('hex'),
    async connect(_room, onFrame) {
      const id = `c${next++}-${randomBytes(4).toString('hex')}`
      const token = randomBytes(6).toString('hex')
      const ws = new WebSocket(`${wsBase}/peerjs?key=peerjs&id=${id}&token=${token}`, {
        perMessageDeflate: false,
      })
      await once<void>(
        (ok, fail) => {
          ws.once('message', (data) => {
            const m = JSON.parse(data.toString()) as { type?: string }
            if (m.type === 'OPEN') ok()
            else fail(new Error(`peerjs refused: ${data.toString()}`))
          })
          ws.once('error', fail)
        },
        30_000,
        'peerjs connect',
      )
      let closing = false
      ws.on('message', (data) => {
        const m = JSON.parse(data.toString()) as { type: string; payload?: unknown }
        if (m.type !== 'OFFER' || typeof m.payload !== 'string') {
          if (m.type === 'ERROR' || m.type === 'LEAVE' || m.type === 'EXPIRE') counters.refused++
          return
        }
        const p = m.payload
        const a = p.indexOf('|')
        const b = p.indexOf('|', a + 1)
        onFrame(Number(p.slice(0, a)), Number(p.slice(a + 1, b)))
      })
      ws.on('close', () => {
        if (!closing) counters.disconnects++
      })
      ws.on('error', () => {})
      return {
        id,
        send(to, sender, t) {
          const head = `${sender}|${t}|`
          const payload = head + filler.slice(head.length)
          ws.send(JSON.stringify({ type: 'OFFER', dst: to, payload }))
        },
        close() {
          closing = true
          ws.close()
        },
      }
    },
  }
}

/**
 * Raw-floor client (lib/raw-relay-server.ts): binary `[u8 idLen][to][payload]` out,
 * `[u8 idLen][from][payload]` in. Same raw-`ws` path as the other generators.
 */
export function rawTransport(url: string, size: number): Transport {
  if (size < 12) throw new Error('payload size must be ≥ 12 bytes')
  const counters: Counters = { refused: 0, disconnects: 0 }
  const filler = randomBytes(size)
  const wsUrl = url.replace(/^http/, 'ws')
  return {
    name: 'raw',
    counters,
    newRoom: () => randomBytes(8).toString('hex'),
    async connect(_room, onFrame) {
      const ws = new WebSocket(wsUrl, { perMessageDeflate: false })
      let closing = false
      const id = await once<string>(
        (ok, fail) => {
          ws.once('message', (data: Buffer) => ok(data.toString().slice(3)))
          ws.once('error', fail)
        },
        30_000,
        'raw connect',
      )
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary) return
        const o = 1 + data[0]!
        onFrame(data.readUInt32LE(o), data.readDoubleLE(o + 4))
      })
      ws.on('close', () => {
        if (!closing) counters.disconnects++
      })
      ws.on('error', () => {})
      return {
        id,
        send(to, sender, t) {
          const payload = Buffer.allocUnsafe(1 + to.length + size)
          payload[0] = to.length
          payload.write(to, 1, 'latin1')
          filler.copy(payload, 1 + to.length)
          payload.writeUInt32LE(sender, 1 + to.length)
          payload.writeDoubleLE(t, 5 + to.length)
          ws.send(payload)
        },
        close() {
          closing = true
          ws.close()
        },
      }
    },
  }
}
