/**
 * Benchmark dispatcher: `node --import tsx run.ts <name|all> [options]` (from bench/).
 * Each benchmark prints JSON + a table to stdout (progress to stderr) and writes results/<name>.json.
 */
import { parseBrokerArgs, runBrokerBench } from './broker.js'
import { parseCallArgs, runCallBench } from './call.js'
import { parseMeshArgs, runMeshBench } from './mesh.js'
import { parsePresenceArgs, runPresenceBench } from './presence.js'

type Bench = (argv: string[]) => Promise<unknown>

const benches: Record<string, Bench> = {
  broker: (argv) => runBrokerBench(parseBrokerArgs(argv)),
  presence: (argv) => runPresenceBench(parsePresenceArgs(argv)),
  mesh: (argv) => runMeshBench(parseMeshArgs(argv)),
  call: (argv) => runCallBench(parseCallArgs(argv)),
}

async function main(): Promise<void> {
  const [name, ...argv] = process.argv.slice(2)
  if (!name || name === '--help' || name === '-h') {
    console.log(
      `usage: node --import tsx run.ts <${[...Object.keys(benches), 'all'].join('|')}> [options]`,
    )
    process.exit(name ? 0 : 2)
  }
  if (name === 'all') {
    for (const [n, run] of Object.entries(benches)) {
      console.error(`== ${n}`)
      await run(argv)
    }
    return
  }
  const run = benches[name]
  if (!run) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}, all`)
    process.exit(2)
  }
  await run(argv)
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e)
    process.exit(1)
  },
)
