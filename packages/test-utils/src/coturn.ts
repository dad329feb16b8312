import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createSocket } from 'node:dgram'
import { tmpdir } from 'node:os'
import { connect } from 'node:net'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { stopChild } from './process.js'

/**
 * One live TURN allocation as coturn's admin CLI (`ps`) reports it. The counters are cumulative
 * for the allocation's life, but coturn folds them in only when the session's packets (client and
 * peer side together) reach a multiple of 4,096, and at the end of the allocation — which libjuice
 * never asks for (it does not deallocate on close). A test proving a transfer keeps some traffic
 * flowing until the counters cover it.
 */
export interface CoturnSession {
  id: string
  /** The full TURN username (`<expiry>:<user>` with TURN REST credentials). */
  username: string
  /** The TURN client's address (`ip:port`). */
  clientAddress: string
  /** The relayed address coturn allocated (`ip:port`). */
  relayAddress: string
  /** Packets / bytes received from the client. */
  rp: number
  rb: number
  /** Packets / bytes sent to the client. */
  sp: number
  sb: number
}

export interface CoturnHandle {
  port: number
  /** The `--static-auth-secret` (give it to the broker as its TURN secret). */
  secret: string
  realm: string
  /** `turn:127.0.0.1:<port>?transport=udp` */
  url: string
  pid: number
  /** The whole log so far. */
  log(): string
  /** The live allocations, from coturn's admin CLI (127.0.0.1 only, random password). */
  sessions(): Promise<CoturnSession[]>
  stop(): Promise<void>
}

/** A port free on 127.0.0.1 for both TCP and UDP (coturn listens on both). */
async function udpAndTcpFreePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await freePort()
    const free = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4')
      sock.once('error', () => resolve(false))
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)))
    })
    if (free) return port
  }
  throw new Error('no port free for both TCP and UDP on 127.0.0.1')
}

/**
 * Start a real coturn on 127.0.0.1 the way TESTING.md describes: TURN REST (`--use-auth-secret`),
 * no TLS/DTLS, loopback peers allowed, a private temp dir for its db, pidfile and verbose log, and
 * its admin CLI on 127.0.0.1 with a random password (`sessions()`: live per-allocation counters
 * that prove relayed bytes). Resolves once its UDP listener is open; `stop()` ends it by PID and
 * removes the temp dir. Pass the path from `requireBinary('turnserver')`.
 */
export async function startCoturn(
  binary: string,
  opts: { realm?: string; extraArgs?: string[]; timeoutMs?: number } = {},
): Promise<CoturnHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'kibitz-coturn-'))
  const secret = randomBytes(24).toString('base64url')
  const realm = opts.realm ?? 'kibitz-test'
  const port = await udpAndTcpFreePort()
  const cliPort = await freePort()
  const cliPassword = randomBytes(12).toString('hex')
  const minPort = 50_000 + Math.floor(Math.random() * 140) * 100
  const logFile = join(dir, 'turn.log')
  const child = spawn(
    binary,
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${minPort}`,
      `--max-port=${minPort + 99}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      `--realm=${realm}`,
      '--no-tls',
      '--no-dtls',
      '--allow-loopback-peers',
      '--cli-ip=127.0.0.1',
      `--cli-port=${cliPort}`,
      `--cli-password=${cliPassword}`,
      '--no-multicast-peers',
      `--userdb=${join(dir, 'turndb')}`,
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      `--log-file=${logFile}`,
      '--simple-log',
      '--no-stdout-log',
      '--verbose',
      ...(opts.extraArgs ?? []),
    ],
    { stdio: 'ignore' },
  )
  const log = () => {
    try {
      return readFileSync(logFile, 'utf8')
    } catch {
      return ''
    }
  }
  const stop = async () => {
    await stopChild(child, 'SIGTERM', 2000)
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 8000)
  while (!log().includes(`UDP listener opened on: 127.0.0.1:${port}`)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      const tail = log().slice(-2000)
      await stop()
      throw new Error(`coturn did not start:\n${tail}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    port,
    secret,
    realm,
    url: `turn:127.0.0.1:${port}?transport=udp`,
    pid: child.pid!,
    log,
    sessions: () => cliSessions(cliPort, cliPassword),
    stop,
  }
}

/**
 * Ask coturn's telnet-style admin CLI for `ps` and parse the sessions it lists. Bounded: rejects
 * after `timeoutMs` with whatever the CLI printed.
 */
function cliSessions(port: number, password: string, timeoutMs = 5000): Promise<CoturnSession[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let out = ''
    // The CLI reads one line per read: the password and the command go out one prompt apart.
    let stage: 'password' | 'prompt' | 'ps' | 'done' = 'password'
    const timer = setTimeout(
      () => finish(new Error(`coturn CLI: no answer in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    )
    const finish = (error: Error | null) => {
      if (stage === 'done') return
      stage = 'done'
      clearTimeout(timer)
      socket.destroy()
      if (error) reject(error)
      else resolve(parseSessions(out))
    }
    socket.on('error', (e) => finish(e))
    socket.on('close', () => finish(new Error(`coturn CLI closed:\n${out}`)))
    socket.on('data', (chunk) => {
      out += chunk.toString('utf8')
      if (stage === 'password' && out.includes('Enter password:')) {
        stage = 'prompt'
        out = ''
        socket.write(`${password}\r\n`)
      } else if (stage === 'prompt' && out.includes('> ')) {
        stage = 'ps'
        out = ''
        socket.write('ps\r\n')
      } else if (stage === 'ps' && /Total sessions: \d+/.test(out)) {
        finish(null)
      }
    })
  })
}

function parseSessions(text: string): CoturnSession[] {
  const sessions: CoturnSession[] = []
  for (const block of text.split(/\n\s*\d+\) /).slice(1)) {
    const head = /^id=(\S+), user <([^>]*)>/.exec(block)
    const client = /client addr (\S+),/.exec(block)
    const relay = /relay addr (\S+)/.exec(block)
    const usage = /usage: rp=(\d+), rb=(\d+), sp=(\d+), sb=(\d+)/.exec(block)
    if (!head || !client || !relay || !usage)
      throw new Error(`coturn CLI: unexpected session:\n${block}`)
    sessions.push({
      id: head[1]!,
      username: head[2]!,
      clientAddress: client[1]!,
      relayAddress: relay[1]!,
      rp: Number(usage[1]),
      rb: Number(usage[2]),
      sp: Number(usage[3]),
      sb: Number(usage[4]),
    })
  }
  return sessions
}
