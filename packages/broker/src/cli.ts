#!/usr/bin/env node
import { isKibitzError } from '@kibitz/protocol'
import { parseConfig } from './config.js'
import { startBroker } from './server.js'

/** `kibitz-broker`: parse flags + KIBITZ_* env, start, print one line, shut down cleanly. */
async function main(): Promise<number> {
  const parsed = parseConfig(process.argv.slice(2), process.env)
  if (!parsed.ok) {
    process.stderr.write(`kibitz-broker: ${parsed.error.message}\n`)
    return 2
  }
  if (parsed.value.help) {
    process.stdout.write(parsed.value.text)
    return 0
  }
  // Handlers go in before the listening line: a supervisor may signal as soon as it reads it.
  let signalled: (signal: NodeJS.Signals) => void = () => {}
  const stopped = new Promise<NodeJS.Signals>((resolve) => (signalled = resolve))
  const stop = (signal: NodeJS.Signals) => {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    signalled(signal)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  const broker = await startBroker(parsed.value.config)
  process.stdout.write(`kibitz broker listening on ${broker.url} (${broker.mode})\n`)
  const signal = await stopped
  process.stdout.write(`kibitz broker: ${signal}, shutting down\n`)
  // A second signal during shutdown, or a shutdown that hangs, ends the process anyway.
  const force = setTimeout(() => process.exit(1), 10_000)
  force.unref()
  await broker.close()
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    const message = isKibitzError(error) || error instanceof Error ? error.message : String(error)
    process.stderr.write(`kibitz-broker: ${message}\n`)
    process.exitCode = 1
  },
)
