import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createSocket } from 'node:dgram'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './ports.js'
import { stopChild } from './process.js'

/** Bytes coturn counted for one TURN user, summed over its allocations (from `--verbose` logs). */
export interface CoturnUsage {
  /** Client side (`usage:`): bytes received from / sent to the TURN clients. */
  rb: number
  sb: number
  /** Peer side (`peer usage:`): bytes received from / sent to the peers behind the relay. */
  peerRb: number
  peerSb: number
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
  /** Usage counters logged so far for `user` (the part after `<expiry>:` in the username). */
  usageOf(user: string): CoturnUsage
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
 * no TLS/DTLS, loopback peers allowed, a private temp dir for its db, pidfile and verbose log (the
 * usage counters prove relayed bytes). Resolves once its UDP listener is open; `stop()` ends it by
 * PID and removes the temp dir. Pass the path from `requireBinary('turnserver')`.
 */
export async function startCoturn(
  binary: string,
  opts: { realm?: string; extraArgs?: string[]; timeoutMs?: number } = {},
): Promise<CoturnHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'kibitz-coturn-'))
  const secret = randomBytes(24).toString('base64url')
  const realm = opts.realm ?? 'kibitz-test'
  const port = await udpAndTcpFreePort()
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
      '--no-cli',
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
    usageOf(user) {
      const total: CoturnUsage = { rb: 0, sb: 0, peerRb: 0, peerSb: 0 }
      const re =
        /(peer )?usage: realm=<[^>]*>, username=<\d+:([^>]*)>, rp=\d+, rb=(\d+), sp=\d+, sb=(\d+)/g
      for (const m of log().matchAll(re)) {
        if (m[2] !== user) continue
        if (m[1]) {
          total.peerRb += Number(m[3])
          total.peerSb += Number(m[4])
        } else {
          total.rb += Number(m[3])
          total.sb += Number(m[4])
        }
      }
      return total
    },
    stop,
  }
}
