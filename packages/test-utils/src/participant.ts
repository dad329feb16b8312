import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { exited, stopChild } from './process.js'

/**
 * A presence participant in its own Node process, driven over stdin/stdout JSON lines. The child
 * is `@kibitz/presence`'s `src/testing/participant-process.ts` (one `createRoom` over
 * `connectBroker`); the types below are the line protocol both sides speak.
 */

/** The child entry: run through tsx with the source condition, so no build is needed. */
export const PARTICIPANT_ENTRY = fileURLToPath(
  new URL('../../presence/src/testing/participant-process.ts', import.meta.url),
)

export type ParticipantHost = { kind: 'none' } | { kind: 'name'; name: string; lobby?: boolean }

export type ParticipantCommand =
  | {
      cmd: 'start'
      /** Broker URL (`http://127.0.0.1:port`). */
      url: string
      room: string
      name: string
      identity?: string
      host?: ParticipantHost
      timing?: Partial<Record<'pingMs' | 'reapMs' | 'freezeGuardMs' | 'gateTimeoutMs', number>>
      /** Join and claim inside the socket.io handshake (broker B21), as `@kibitz/call` does. */
      handshake?: boolean
    }
  | { cmd: 'snapshot' }
  | { cmd: 'leave' }
  | { cmd: 'setLobby'; on: boolean }
  | { cmd: 'setLocked'; on: boolean }
  | { cmd: 'admit'; id: string }
  | { cmd: 'deny'; id: string }
  | { cmd: 'remove'; id: string }
  | { cmd: 'resetRoom' }
  | { cmd: 'knock'; name: string; avatar?: string }
  /** Leave (if in a room) and exit with code 0. */
  | { cmd: 'exit' }

/** The part of a room snapshot the child prints (plain JSON). */
export interface ParticipantView {
  phase: string
  self: string | null
  authority: string | null
  isAuthority: boolean
  host: string | null
  isHost: boolean
  participants: { id: string; name: string; isHost: boolean; isAuthority: boolean }[]
  knocks: { id: string; name: string }[]
  lobby: string | null
  lobbyOn: boolean
  locked: boolean
  epoch: number
}

/**
 * One line from the child. `t` is the child's wall clock in ms with sub-ms precision
 * (`performance.timeOrigin + performance.now()`), comparable across processes on one machine.
 */
export type ParticipantLine =
  | { ev: 'ready'; t: number; pid: number }
  | { ev: 'snapshot'; t: number; view: ParticipantView }
  | { ev: 'event'; t: number; name: string; payload: unknown }
  | {
      ev: 'reply'
      t: number
      seq: number
      /** When the child read the command (same clock as `t`). */
      at: number
      ok: boolean
      result?: unknown
      error?: string
    }

/** What `snapshot` answers: the view plus the presence message kinds the socket received. */
export interface ParticipantSnapshotReply {
  view: ParticipantView | null
  /** Inbound frames by presence message kind (`roster`, `lobby`, `kick`…), opened with the room key. */
  received: Record<string, number>
}

export interface ParticipantProcess {
  readonly pid: number
  readonly child: ChildProcess
  /** The latest snapshot the child printed (null before the first). */
  readonly view: ParticipantView | null
  /** Stamp of the latest snapshot line. */
  readonly viewAt: number
  /** Every line received so far, in order. */
  readonly lines: readonly ParticipantLine[]
  /** stderr (tail), for failure reports. */
  readonly stderr: { text: string }
  /** Send a command and wait for its reply (rejects on an error reply or after `timeoutMs`). */
  request(command: ParticipantCommand, timeoutMs?: number): Promise<unknown>
  /** Send a command without waiting; the child's stamp of receipt comes back in its reply. */
  send(command: ParticipantCommand): number
  /** Reply to a `send`, once it arrived. */
  reply(seq: number): Extract<ParticipantLine, { ev: 'reply' }> | undefined
  /** Listen to every line; returns an unsubscribe. */
  onLine(cb: (line: ParticipantLine) => void): () => void
  readonly alive: boolean
  /** Signal the child by PID and wait for it to exit (default SIGKILL: no goodbye at all). */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Ask it to leave and exit; SIGKILL by PID if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>
}

export interface SpawnParticipantOptions {
  /** Child entry; default {@link PARTICIPANT_ENTRY}. */
  entry?: string
  /** `tsx` (default): TypeScript source through the tsx loader. `node`: a prebuilt JS bundle. */
  runtime?: 'tsx' | 'node'
  env?: Record<string, string>
  /** How long to wait for the child's `ready` line. Default 30 s. */
  timeoutMs?: number
}

const require = createRequire(import.meta.url)

/** Spawn one participant process and resolve once it is ready for commands. */
export async function spawnParticipant(
  opts: SpawnParticipantOptions = {},
): Promise<ParticipantProcess> {
  const entry = opts.entry ?? PARTICIPANT_ENTRY
  const loader =
    (opts.runtime ?? 'tsx') === 'tsx'
      ? ['--import', pathToFileURL(require.resolve('tsx')).href]
      : []
  const child = spawn(process.execPath, ['--conditions=@kibitz/source', ...loader, entry], {
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  if (child.pid === undefined) throw new Error('participant process has no pid')
  const pid = child.pid
  const lines: ParticipantLine[] = []
  const listeners = new Set<(line: ParticipantLine) => void>()
  const replies = new Map<number, Extract<ParticipantLine, { ev: 'reply' }>>()
  const stderr = { text: '' }
  let view: ParticipantView | null = null
  let viewAt = 0
  let seq = 0
  child.stderr.on('data', (c: Buffer) => {
    stderr.text = (stderr.text + c.toString()).slice(-32 * 1024)
  })
  // Commands to a child that died: swallow EPIPE (the caller sees it through `alive`/timeouts).
  child.stdin.on('error', () => {})
  createInterface({ input: child.stdout }).on('line', (raw) => {
    let line: ParticipantLine
    try {
      line = JSON.parse(raw) as ParticipantLine
    } catch {
      stderr.text += `[stdout] ${raw}\n`
      return
    }
    lines.push(line)
    if (line.ev === 'snapshot') {
      view = line.view
      viewAt = line.t
    } else if (line.ev === 'reply') replies.set(line.seq, line)
    for (const cb of [...listeners]) cb(line)
  })

  const onLine = (cb: (line: ParticipantLine) => void) => {
    listeners.add(cb)
    return () => void listeners.delete(cb)
  }
  const alive = () => child.exitCode === null && child.signalCode === null
  const send = (command: ParticipantCommand): number => {
    const n = ++seq
    if (alive()) child.stdin.write(`${JSON.stringify({ ...command, seq: n })}\n`)
    return n
  }
  const request = (command: ParticipantCommand, timeoutMs = 15_000): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const n = send(command)
      const done = (line: Extract<ParticipantLine, { ev: 'reply' }>) => {
        clearTimeout(timer)
        off()
        void exit.off()
        if (line.ok) resolve(line.result)
        else reject(new Error(`participant ${pid}: ${command.cmd} failed: ${line.error}`))
      }
      const timer = setTimeout(() => {
        off()
        void exit.off()
        reject(new Error(`participant ${pid}: no reply to ${command.cmd} in ${timeoutMs} ms`))
      }, timeoutMs)
      const off = onLine((line) => {
        if (line.ev === 'reply' && line.seq === n) done(line)
      })
      const exit = onExit(() => {
        clearTimeout(timer)
        off()
        reject(new Error(`participant ${pid} exited before replying to ${command.cmd}`))
      })
      const early = replies.get(n)
      if (early) done(early)
    })
  const onExit = (cb: () => void) => {
    child.once('exit', cb)
    return { off: () => child.off('exit', cb) }
  }

  const handle: ParticipantProcess = {
    pid,
    child,
    get view() {
      return view
    },
    get viewAt() {
      return viewAt
    },
    lines,
    stderr,
    request,
    send,
    reply: (n) => replies.get(n),
    onLine,
    get alive() {
      return alive()
    },
    kill: (signal = 'SIGKILL') => stopChild(child, signal),
    async stop(graceMs = 3_000) {
      if (!alive()) return
      send({ cmd: 'exit' })
      const late = new Promise<'late'>((r) => setTimeout(() => r('late'), graceMs).unref())
      if ((await Promise.race([exited(child).then(() => 'done' as const), late])) === 'late') {
        await stopChild(child, 'SIGKILL')
      }
    },
  }

  try {
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? 30_000
      const timer = setTimeout(() => {
        off()
        reject(new Error(`participant did not start in ${timeoutMs} ms:\n${stderr.text}`))
      }, timeoutMs)
      const off = onLine((line) => {
        if (line.ev !== 'ready') return
        clearTimeout(timer)
        off()
        resolve()
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`participant exited (code ${code}, signal ${signal}):\n${stderr.text}`))
      })
    })
  } catch (error) {
    await stopChild(child, 'SIGKILL')
    throw error
  }
  return handle
}

/** Poll `cond` every `stepMs` until it holds; reject after `timeoutMs` with `what` and `detail()`. */
export async function waitUntil(
  cond: () => boolean,
  timeoutMs: number,
  what: string,
  detail: () => string = () => '',
  stepMs = 5,
): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${what}\n${detail()}`)
    await new Promise((r) => setTimeout(r, stepMs))
  }
}
