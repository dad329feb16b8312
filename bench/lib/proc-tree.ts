/**
 * CPU used by this process's descendants, per process kind and per thread name, between two
 * snapshots (from `/proc/<pid>/task/<tid>/schedstat`: nanoseconds on a CPU, and waiting in the
 * run queue for one). For finding which part of a multi-process system (Chromium's browser, GPU,
 * renderer and utility processes; the broker) took the CPU during a measured window, and how long
 * runnable threads waited for it — a diagnostic, not a metric.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { descendantProcesses } from '@kibitz/test-utils'

interface ThreadTime {
  /** `<process kind>/<thread name>`, e.g. `renderer/chromium` (a process's main thread). */
  label: string
  /** ns on a CPU, ns runnable but waiting. */
  run: number
  wait: number
}

/** `<pid>/<tid>` → its label and times so far. */
export type ProcSnapshot = Map<string, ThreadTime>

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null // exited between listing and reading
  }
}

function kindOf(cmd: string, comm: string): string {
  const cmdline = cmd.split(' ')
  const type = cmdline.find((a) => a.startsWith('--type='))?.slice(7)
  if (type === 'utility') {
    const sub = cmdline.find((a) => a.startsWith('--utility-sub-type='))?.slice(19) ?? ''
    return `utility:${sub.split('.')[0]}`
  }
  if (type !== undefined) return type
  if (/chrom/i.test(comm)) return 'browser'
  return comm
}

/** Every thread of every descendant of `root` (default: this process), with its ticks. */
export function snapshotDescendants(root = process.pid): ProcSnapshot {
  const out: ProcSnapshot = new Map()
  for (const { pid, comm: processName, cmd } of descendantProcesses(root)) {
    const kind = kindOf(cmd, processName)
    let tids: string[]
    try {
      tids = readdirSync(`/proc/${pid}/task`)
    } catch {
      continue
    }
    for (const tid of tids) {
      const comm = read(`/proc/${pid}/task/${tid}/comm`)?.trim()
      const sched = read(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')
      if (comm === undefined || sched === undefined) continue
      out.set(`${pid}/${tid}`, {
        label: `${kind}/${comm}`,
        run: Number(sched[0]),
        wait: Number(sched[1]),
      })
    }
  }
  return out
}

/**
 * Per label, ms on a CPU and ms waiting for one between two snapshots (threads born in between
 * count from zero; threads that ended in between are lost).
 */
export function cpuBetween(
  before: ProcSnapshot,
  after: ProcSnapshot,
): Map<string, { run: number; wait: number }> {
  const out = new Map<string, { run: number; wait: number }>()
  for (const [id, t] of after) {
    const run = (t.run - (before.get(id)?.run ?? 0)) / 1e6
    const wait = (t.wait - (before.get(id)?.wait ?? 0)) / 1e6
    if (run <= 0 && wait <= 0) continue
    const sum = out.get(t.label) ?? { run: 0, wait: 0 }
    out.set(t.label, { run: sum.run + run, wait: sum.wait + wait })
  }
  return out
}
