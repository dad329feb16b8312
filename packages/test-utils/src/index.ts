export { findBinary, requireBinary } from './binary.js'
export { freePort } from './ports.js'
export { exited, stopChild } from './process.js'
export { descendantProcesses } from './proc-tree.js'
export type { ProcInfo } from './proc-tree.js'
export { startRedis } from './redis.js'
export type { RedisHandle } from './redis.js'
export { startBrokerProcess, runBrokerCli, BROKER_CLI } from './broker-process.js'
export type { BrokerProcess } from './broker-process.js'
export { connectClient } from './client.js'
export type { BrokerTestClient, ConnectOptions } from './client.js'
export { PARTICIPANT_ENTRY, spawnParticipant, waitUntil } from './participant.js'
export type {
  ParticipantCommand,
  ParticipantHost,
  ParticipantLine,
  ParticipantProcess,
  ParticipantSnapshotReply,
  ParticipantView,
  SpawnParticipantOptions,
} from './participant.js'
export { startCoturn } from './coturn.js'
export type { CoturnHandle, CoturnSession } from './coturn.js'
export {
  CHROMIUM_ARGS,
  chromiumPath,
  hasChromium,
  launchChromium,
  pipePageConsole,
  requireChromium,
} from './chromium.js'
export type { ChromiumHandle, LaunchChromiumOptions, NewPageOptions } from './chromium.js'
export { BROWSER_CONDITIONS, bundleForBrowser, socketIoClientScript } from './bundle.js'
export type { BundleOptions } from './bundle.js'
export { contentTypeOf, serveStatic } from './static-server.js'
export type { StaticFile, StaticServer } from './static-server.js'
export { pollUntil } from './poll.js'
export { servePageInChromium } from './page-server.js'
export type { PageInChromium } from './page-server.js'
