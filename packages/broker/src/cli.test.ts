import {
  connectClient,
  runBrokerCli,
  startBrokerProcess,
  type BrokerProcess,
} from '@kibitz/test-utils'
import { afterEach, describe, expect, test } from 'vitest'
import { must, tagOf } from './testing/plane.js'

let proc: BrokerProcess | undefined
afterEach(async () => {
  await proc?.kill('SIGKILL')
  proc = undefined
})

describe('kibitz-broker CLI', () => {
  test('prints one listening line, serves socket.io + HTTP, and exits 0 on SIGTERM', async () => {
    proc = await startBrokerProcess([], { env: { KIBITZ_MAX_TAGS_PER_SOCKET: '1' } })
    expect(proc.output.text).toMatch(
      /^kibitz broker listening on http:\/\/127\.0\.0\.1:\d+ \(memory\)\n/,
    )
    const health = (await (await fetch(`${proc.url}/healthz`)).json()) as Record<string, unknown>
    expect(health).toMatchObject({ ok: true, mode: 'memory' })
    const c = await connectClient(proc.url)
    must(await c.join(tagOf('cli-1')))
    // The env var reached the config: a second tag is one too many.
    const second = await c.join(tagOf('cli-2'))
    expect(second.ok ? null : second.error.code).toBe('TOO_MANY_ROOMS')
    c.close()
    await proc.kill('SIGTERM')
    expect(proc.child.exitCode).toBe(0)
  })

  test('SIGINT also shuts down cleanly', async () => {
    proc = await startBrokerProcess()
    await proc.kill('SIGINT')
    expect(proc.child.exitCode).toBe(0)
  })

  test('--help prints usage and exits 0; a bad flag exits 2 with a clear message', async () => {
    const help = await runBrokerCli(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('KIBITZ_TURN_SECRET')
    const bad = await runBrokerCli(['--port', 'eighty'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(
      /kibitz-broker: invalid --port: expected a whole number, got "eighty"/,
    )
    const badEnv = await runBrokerCli([], { env: { KIBITZ_BURST: 'lots' } })
    expect(badEnv.code).toBe(2)
    expect(badEnv.stderr).toMatch(/KIBITZ_BURST/)
  })

  test('an unreachable redis is a clear startup error, exit 1', async () => {
    const r = await runBrokerCli(['--port', '0', '--redis', 'redis://127.0.0.1:1'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/cannot reach redis at redis:\/\/127\.0\.0\.1:1/)
  })
})
