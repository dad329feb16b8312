/**
 * One presence participant in its own Node process, for real-process tests and benchmarks
 * (`spawnParticipant` in `@kibitz/test-utils`). It reads JSON-line commands on stdin and prints
 * JSON lines on stdout: `ready`, a `snapshot` on every snapshot change, room `event`s and a `reply`
 * per command (see `ParticipantCommand` / `ParticipantLine`). One room at a time; after `leave` a
 * new `start` opens a fresh one. It exits when stdin closes (its parent is gone).
 */
import { createInterface } from 'node:readline'
import { deriveRoomKeys, openJson, type RoomKeys } from '@kibitz/protocol'
import type {
  ParticipantCommand,
  ParticipantLine,
  ParticipantSnapshotReply,
  ParticipantView,
} from '@kibitz/test-utils'
import { createRoom, type Room } from '../room.js'
import { connectBroker } from '../socket-io.js'
import type { RoomSnapshot } from '../types.js'

type Line = ParticipantLine extends infer L
  ? L extends { t: number }
    ? Omit<L, 't'>
    : never
  : never

const now = () => performance.timeOrigin + performance.now()
const print = (line: Line) => process.stdout.write(`${JSON.stringify({ ...line, t: now() })}\n`)

function toView(s: RoomSnapshot): ParticipantView {
  return {
    phase: s.phase,
    self: s.self,
    authority: s.authority,
    isAuthority: s.isAuthority,
    host: s.host,
    isHost: s.isHost,
    participants: s.participants.map((p) => ({
      id: p.id,
      name: p.name,
      isHost: p.isHost,
      isAuthority: p.isAuthority,
    })),
    knocks: s.knocks.map((k) => ({ id: k.id, name: k.name })),
    lobby: s.lobby,
    lobbyOn: s.lobbyOn,
    locked: s.locked,
    epoch: s.epoch,
  }
}

let room: Room | null = null
let received: Record<string, number> = {}

/** Count inbound presence kinds by opening each frame with the room key (a spy, not the engine). */
function spy(keys: RoomKeys, payload: Uint8Array): void {
  void openJson(keys, payload).then((r) => {
    const t =
      r.ok && typeof r.value === 'object' && r.value !== null && 't' in r.value
        ? String((r.value as { t: unknown }).t)
        : 'unreadable'
    received[t] = (received[t] ?? 0) + 1
  })
}

async function run(c: ParticipantCommand): Promise<unknown> {
  if (c.cmd === 'start') {
    if (room) throw new Error('already in a room')
    const keys = await deriveRoomKeys(c.room)
    if (!keys.ok) throw keys.error
    received = {}
    const r = createRoom({
      room: c.room,
      name: c.name,
      ...(c.identity === undefined ? {} : { identity: c.identity }),
      ...(c.host === undefined ? {} : { host: c.host }),
      ...(c.timing === undefined ? {} : { timing: c.timing }),
      connect: (tag, handshake) => {
        // As `@kibitz/call` does: join, claim and the first announce ride the handshake (B21, B22).
        const transport = connectBroker(
          c.url,
          tag,
          c.handshake ? { handshake: { claim: true, announce: handshake.announce } } : {},
        )
        transport.on('frame', ({ payload }) => spy(keys.value, payload))
        return transport
      },
    })
    room = r
    r.subscribe(() => print({ ev: 'snapshot', view: toView(r.getSnapshot()) }))
    for (const name of ['lobby', 'authority', 'reset', 'join', 'leave'] as const) {
      r.on(name, (payload) => print({ ev: 'event', name, payload }))
    }
    await r.start()
    return toView(r.getSnapshot())
  }
  if (c.cmd === 'exit') {
    await room?.leave()
    setImmediate(() => process.exit(0))
    return null
  }
  if (c.cmd === 'snapshot') {
    const reply: ParticipantSnapshotReply = {
      view: room ? toView(room.getSnapshot()) : null,
      received: { ...received },
    }
    return reply
  }
  const r = room
  if (!r) throw new Error(`${c.cmd}: not in a room`)
  switch (c.cmd) {
    case 'leave':
      room = null
      await r.leave()
      return null
    case 'setLobby':
      return r.setLobby(c.on)
    case 'setLocked':
      return r.setLocked(c.on)
    case 'admit':
      return r.admit(c.id)
    case 'deny':
      return r.deny(c.id)
    case 'remove':
      return r.remove(c.id)
    case 'resetRoom':
      return r.resetRoom()
    case 'knock':
      r.knock(c.name, c.avatar)
      return null
  }
}

createInterface({ input: process.stdin })
  .on('line', (raw) => {
    let command: ParticipantCommand & { seq?: number }
    try {
      command = JSON.parse(raw) as ParticipantCommand & { seq?: number }
    } catch {
      process.stderr.write(`participant: not JSON: ${raw}\n`)
      return
    }
    const seq = command.seq ?? 0
    const at = now()
    run(command).then(
      (result) => print({ ev: 'reply', seq, at, ok: true, result }),
      (error: unknown) =>
        print({
          ev: 'reply',
          seq,
          at,
          ok: false,
          error: error instanceof Error ? error.message : String(error),
        }),
    )
  })
  // The parent is gone (or closed our stdin): don't linger.
  .on('close', () => process.exit(0))

print({ ev: 'ready', pid: process.pid })
