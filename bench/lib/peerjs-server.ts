/**
 * Child-process entry: the stock PeerJS server (npm `peer`) on 127.0.0.1, for side-by-side runs.
 * Usage: node --import tsx lib/peerjs-server.ts --port <p>
 * Only change from defaults: `concurrent_limit` is raised (default 5,000) so the 10k idle run fits.
 */
import { parseArgs } from 'node:util'
import { PeerServer } from 'peer'

const { values } = parseArgs({
  options: { port: { type: 'string' }, limit: { type: 'string', default: '20000' } },
})
const port = Number(values.port)
if (!Number.isInteger(port) || port <= 0) throw new Error('--port is required')

const server = PeerServer(
  { port, host: '127.0.0.1', path: '/', concurrent_limit: Number(values.limit) },
  () => {
    console.log(`peerjs server listening on http://127.0.0.1:${port}`)
  },
)
server.on('error', (e: Error) => console.error('peerjs error', e.message))
process.on('SIGTERM', () => process.exit(0))
