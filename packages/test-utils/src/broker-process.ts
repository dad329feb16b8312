import { spawn, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { stopChild, waitForLine } from './process.js'

export interface BrokerProcess {
  url: string
  port: number
  pid: number
  child: ChildProcess
  /** Everything the process printed so far (stdout + stderr). */
  output: { text: string }
  /** Signal the process by PID (SIGKILL: no cleanup at all) and wait for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

const require = createRequire(import.meta.url)
/** The broker CLI source: run through tsx, so no build is needed. */
export const BROKER_CLI = fileURLToPath(new URL('../../broker/src/cli.ts', import.meta.url))

/**
 * Spawn `kibitz-broker` (the TypeScript source via the tsx loader, workspace packages resolved to
 * their sources) with `args`, `--host 127.0.0.1 --port 0` unless given; resolves on the listening line.
 */
export async function startBrokerProcess(
  args: readonly string[] = [],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<BrokerProcess> {
  const tsx = pathToFileURL(require.resolve('tsx')).href
  const full = [...args]
  if (!full.includes('--host')) full.push('--host', '127.0.0.1')
  if (!full.includes('--port')) full.push('--port', '0')
  const child = spawn(
    process.execPath,
    ['--conditions=@kibitz/source', '--import', tsx, BROKER_CLI, ...full],
    {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const output = { text: '' }
  const append = (chunk: Buffer) => {
    output.text = (output.text + chunk.toString()).slice(-64 * 1024)
  }
  child.stdout.on('data', append)
  child.stderr.on('data', append)
  try {
    const m = await waitForLine(
      child,
      /listening on (http:\/\/[^\s]+:(\d+))/,
      opts.timeoutMs ?? 20_000,
      output,
    )
    if (child.pid === undefined) throw new Error('broker process has no pid')
    return {
      url: m[1] ?? '',
      port: Number(m[2]),
      pid: child.pid,
      child,
      output,
      kill: (signal = 'SIGTERM') => stopChild(child, signal),
    }
  } catch (error) {
    await stopChild(child, 'SIGKILL')
    throw error
  }
}

/** Run the broker CLI to completion (e.g. `--help`, bad flags) and collect its output. */
export function runBrokerCli(
  args: readonly string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const tsx = pathToFileURL(require.resolve('tsx')).href
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@kibitz/source', '--import', tsx, BROKER_CLI, ...args],
      {
        env: { ...process.env, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => {
      void stopChild(child, 'SIGKILL')
      reject(new Error(`broker CLI did not exit within ${opts.timeoutMs ?? 20_000} ms`))
    }, opts.timeoutMs ?? 20_000)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
