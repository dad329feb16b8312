/**
 * Child-process entry: the raw floor — the least a Node WebSocket relay can do per frame, measured
 * in the same run as Kibitz and PeerJS. `ws` (the library under both of them), no validation, no
 * rooms, no limits: a socket gets an id, a binary message `[u8 idLen][to id][payload]` is forwarded
 * as `[u8 idLen][from id][payload]` with one Map lookup and one `send`.
 * Usage: node lib/raw-relay-server.ts --port <p>
 */
import { parseArgs } from 'node:util'
import { WebSocketServer, type WebSocket } from 'ws'

const { values } = parseArgs({ options: { port: { type: 'string' } } })
const port = Number(values.port)
if (!Number.isInteger(port) || port <= 0) throw new Error('--port is required')

const sockets = new Map<string, WebSocket>()
let next = 0
const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false })
wss.on('connection', (ws) => {
  const id = `r${next++}`
  const idBytes = Buffer.from(id)
  sockets.set(id, ws)
  ws.send(`id:${id}`)
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary || data.length < 2) return
    const len = data[0]!
    const target = sockets.get(data.toString('latin1', 1, 1 + len))
    if (!target) return
    const out = Buffer.allocUnsafe(1 + idBytes.length + data.length - 1 - len)
    out[0] = idBytes.length
    idBytes.copy(out, 1)
    data.copy(out, 1 + idBytes.length, 1 + len)
    target.send(out)
  })
  ws.on('close', () => sockets.delete(id))
  ws.on('error', () => {})
})
wss.on('listening', () => console.log(`raw relay listening on http://127.0.0.1:${port}`))
process.on('SIGTERM', () => process.exit(0))
