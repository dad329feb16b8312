/**
 * Child-process entry: the bare first-frame pages' signaling relay. Text from one socket of
 * `?room=` goes to the other sockets of that room, and is queued while the sender is alone.
 * Usage: node lib/room-relay-server.ts --port <p>
 */
import { parseArgs } from 'node:util'
import { WebSocketServer, type WebSocket } from 'ws'

const { values } = parseArgs({ options: { port: { type: 'string' } } })
const port = Number(values.port)
if (!Number.isInteger(port) || port <= 0) throw new Error('--port is required')

const rooms = new Map<string, { members: Set<WebSocket>; backlog: string[] }>()
const wss = new WebSocketServer({ port, host: '127.0.0.1', perMessageDeflate: false })
wss.on('connection', (ws, req) => {
  const name = new URL(req.url ?? '/', 'http://relay').searchParams.get('room') ?? ''
  const room = rooms.get(name) ?? { members: new Set<WebSocket>(), backlog: [] }
  rooms.set(name, room)
  for (const text of room.backlog.splice(0)) ws.send(text)
  room.members.add(ws)
  ws.on('message', (data) => {
    const text = String(data)
    const others = [...room.members].filter((m) => m !== ws)
    if (others.length === 0) room.backlog.push(text)
    for (const other of others) other.send(text)
  })
  ws.on('close', () => {
    room.members.delete(ws)
    if (room.members.size === 0) rooms.delete(name)
  })
  ws.on('error', () => {})
})
wss.on('listening', () => console.log(`room relay listening on http://127.0.0.1:${port}`))
process.on('SIGTERM', () => process.exit(0))
