import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { requireBinary } from './binary.js'
import { freePort } from './ports.js'
import { stopChild } from './process.js'

export interface RedisHandle {
  url: string
  port: number
  pid: number
  dir: string
  stop(): Promise<void>
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port })
    let data = ''
    const done = (ok: boolean) => {
      sock.destroy()
      resolve(ok)
    }
    sock.setTimeout(500, () => done(false))
    sock.on('error', () => done(false))
    sock.on('connect', () => sock.write('PING\r\n'))
    sock.on('data', (chunk) => {
      data += chunk.toString()
      if (data.includes('\r\n')) done(data.startsWith('+PONG'))
    })
  })
}

/**
 * A throwaway `redis-server` on a free 127.0.0.1 port, no persistence, its files in a temp dir
 * (TESTING.md). Resolves once it answers PING; `stop()` ends it by PID and removes the dir.
 */
export async function startRedis(opts: { timeoutMs?: number } = {}): Promise<RedisHandle> {
  const bin = requireBinary('redis-server')
  if (!bin) throw new Error('redis-server is not installed (apt-get install -y redis-server)')
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'kibitz-redis-'))
  const child = spawn(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'yes',
      '--daemonize',
      'no',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--logfile',
      join(dir, 'redis.log'),
    ],
    { stdio: 'ignore' },
  )
  const stop = async () => {
    await stopChild(child, 'SIGTERM')
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000)
  while (!(await ping(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop()
      throw new Error(`redis-server did not answer PING on 127.0.0.1:${port}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  if (child.pid === undefined) throw new Error('redis-server has no pid')
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid, dir, stop }
}
