// The only barrel of @kibitz/react: named exports only (STYLE.md), `export type` for types.

export { useCall, isCall } from './use-call.js'
export type { UseCallOptions, UseCallResult } from './use-call.js'
// The UI status and initials are framework-free: @kibitz/call owns them; re-exported for React users.
export { callStatus, initialsOf } from '@kibitz/call'
export type { CallError, CallUiStatus, CallUiStatusKind, RefusedReason } from '@kibitz/call'
export type { CallActions } from './actions.js'
export { useCallEvent, useParticipant } from './hooks.js'
export { VideoTile } from './video-tile.js'
export type { VideoTileProps } from './video-tile.js'
