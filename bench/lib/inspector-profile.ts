/**
 * In-process CPU profiling of one phase of a benchmark (`node:inspector`), for benchmarks whose
 * systems share one process (`call`): `profiled(file, fn)` samples only while `fn` runs and writes
 * a `.cpuprofile` that `lib/cpuprofile.ts` sums up. `file === null` runs `fn` unprofiled.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { dirname } from 'node:path'

let session: Session | null = null

export async function profiled<T>(file: string | null, fn: () => Promise<T>): Promise<T> {
  if (file === null) return fn()
  if (!session) {
    session = new Session()
    session.connect()
    await session.post('Profiler.enable')
    // 100 µs: the phases last ~0.2–1 s, and the costs we look for are a few µs per message.
    await session.post('Profiler.setSamplingInterval', { interval: 100 })
  }
  await session.post('Profiler.start')
  try {
    return await fn()
  } finally {
    const { profile } = await session.post('Profiler.stop')
    mkdirSync(dirname(file), { recursive: true })
    writeFileSync(file, JSON.stringify(profile))
  }
}

/** Close the inspector session (if one was opened). */
export function stopProfiler(): void {
  session?.disconnect()
  session = null
}
