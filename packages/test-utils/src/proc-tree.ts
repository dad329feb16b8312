/**
 * This machine's processes from Linux `/proc`, for tests and benchmarks that look at what a
 * child (Chromium, a broker) started: each descendant of a process with its parent, command name
 * and command line.
 */
import { readdirSync, readFileSync } from 'node:fs'

export interface ProcInfo {
  pid: number
  ppid: number
  /** The command name (`/proc/<pid>/stat`; it may hold spaces and parentheses). */
  comm: string
  /** The command line, arguments joined by spaces (Chromium's children rewrite theirs so). */
  cmd: string
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null // exited between listing and reading
  }
}

/** Every descendant of `root` (default: this process), not `root` itself. */
export function descendantProcesses(root = process.pid): ProcInfo[] {
  const all: ProcInfo[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = read(`/proc/${entry}/stat`)
    if (stat === null) continue
    // pid (comm) state ppid …: split after the last ')'.
    const close = stat.lastIndexOf(')')
    all.push({
      pid: Number(entry),
      ppid: Number(stat.slice(close + 2).split(' ')[1]),
      comm: stat.slice(stat.indexOf('(') + 1, close),
      cmd: (read(`/proc/${entry}/cmdline`) ?? '').split('\0').join(' ').trim(),
    })
  }
  const parent = new Map(all.map((p) => [p.pid, p.ppid]))
  const inTree = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p))
      if (p === root) return true
    return false
  }
  return all.filter((p) => inTree(p.pid))
}
