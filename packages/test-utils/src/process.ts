import type { ChildProcess } from 'node:child_process'

/** Resolve when `child` exits (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

/** Send `signal` to a PID, then SIGKILL after `graceMs` if `child` is still alive. */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5_000,
): Promise<void> {
  const pid = child.pid
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(pid, signal)
  } catch {
    return
  }
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs)
  })
  const outcome = await Promise.race([exited(child).then(() => 'done' as const), late])
  clearTimeout(timer)
  if (outcome === 'late') {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
    await exited(child)
  }
}

/** Wait until `stream` has printed a line matching `pattern`; rejects on exit or timeout. */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  output: { text: string },
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = output.text.match(pattern)
      if (m) {
        cleanup()
        resolve(m)
      }
    }
    const onExit = (code: number | null, signal: string | null) => {
      cleanup()
      reject(
        new Error(
          `process exited (code ${code}, signal ${signal}) before printing ${pattern}:\n${output.text}`,
        ),
      )
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${output.text}`))
    }, timeoutMs)
    const cleanup = () => {
      clearTimeout(timer)
      child.stdout?.off('data', check)
      child.stderr?.off('data', check)
      child.off('exit', onExit)
    }
    child.stdout?.on('data', check)
    child.stderr?.on('data', check)
    child.on('exit', onExit)
    check()
  })
}
