/**
 * Preloaded into a server process (`node --expose-gc --import gc-probe.mjs server.mjs`): on SIGUSR2
 * it forces a full garbage collection and prints the process's memory usage as one `gc-probe {…}`
 * line on stderr. RSS alone cannot tell retained memory from garbage V8 has not collected yet; the
 * heap after a full GC can. The server's own code is untouched.
 */
const collect = (globalThis as { gc?: () => void }).gc

process.on('SIGUSR2', () => {
  collect?.()
  const m = process.memoryUsage()
  const line = { rss: m.rss, heapUsed: m.heapUsed, external: m.external, gc: collect !== undefined }
  process.stderr.write(`gc-probe ${JSON.stringify(line)}\n`)
})
export {}
