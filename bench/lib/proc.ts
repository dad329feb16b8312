import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { freePort } from '@kibitz/test-utils'

/** Clock ticks per second for /proc/<pid>/stat (getconf CLK_TCK; 100 on Linux x86-64/arm64). */
const CLK_TCK = 100

/** Resident set size of a process in MB (VmRSS from /proc/<pid>/status). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (!m) throw new Error(`no VmRSS for pid ${pid}`)
  return Number(m[1]) / 1024
}

/** User + system CPU seconds consumed so far by a process (from /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may contain spaces) start at field 3.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  return (utime + stime) / CLK_TCK
}

export interface ServerProcess {
  readonly name: string
  readonly pid: number
  readonly port: number
  readonly url: string
  /** Everything the process wrote (tail), for error reports. */
  output(): string
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Never leave a server behind, even on a crash: kill exactly the children we spawned, by pid.
  process.on('exit', () => {
    for (const c of live) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL')
  })
}

export interface StartOptions {
  name: string
  /** Arguments after `node` (the executable is this Node binary). */
  args: string[]
  cwd: string
  port: number
  /** A line on stdout/stderr that means "ready". */
  ready: RegExp
  timeoutMs?: number
  env?: NodeJS.ProcessEnv
}

/**
 * Start a server entry on a fresh 127.0.0.1 port: `node <nodeArgs> <entry> --port P <args>`, ready
 * when it prints `listening on http` (the Kibitz broker CLI, the PeerJS launcher and the raw relay
 * all do).
 */
export async function startEntry(opts: {
  name: string
  entry: string
  nodeArgs: string[]
  args?: string[]
  cwd: string
}): Promise<ServerProcess> {
  const port = await freePort()
  return startServer({
    name: opts.name,
    args: [...opts.nodeArgs, opts.entry, '--port', String(port), ...(opts.args ?? [])],
    cwd: opts.cwd,
    port,
    ready: /listening on http/,
  })
}

/** Spawn a server as a separate Node process and wait until it prints its ready line. */
export function startServer(opts: StartOptions): Promise<ServerProcess> {
  installExitHook()
  const child = spawn(process.execPath, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let out = ''
  const append = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000)
  }
  child.stdout!.on('data', append)
  child.stderr!.on('data', append)

  const proc: ServerProcess = {
    name: opts.name,
    pid: child.pid!,
    port: opts.port,
    url: `http://127.0.0.1:${opts.port}`,
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          live.delete(child)
          resolve()
          return
        }
        const hard = setTimeout(() => child.kill('SIGKILL'), 3000)
        child.once('exit', () => {
          clearTimeout(hard)
          live.delete(child)
          resolve()
        })
        child.kill('SIGTERM')
      }),
  }

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void proc.stop()
      reject(
        new Error(`${opts.name} did not become ready in ${opts.timeoutMs ?? 20_000} ms:\n${out}`),
      )
    }, opts.timeoutMs ?? 20_000)
    const onData = () => {
      if (opts.ready.test(out)) {
        clearTimeout(timer)
        child.stdout!.off('data', onData)
        child.stderr!.off('data', onData)
        resolve(proc)
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      live.delete(child)
      reject(new Error(`${opts.name} exited early (code ${code}, signal ${signal}):\n${out}`))
    })
  })
}

/** Sleep helper. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
