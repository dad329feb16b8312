/**
 * Every size and count limit of the wire, in one place. Receivers enforce these on untrusted input;
 * senders check them first so the error is local and typed.
 */

const KiB = 1024
const MiB = 1024 * KiB

/** A broker frame payload (one sealed envelope) in bytes. */
export const MAX_BROKER_FRAME_BYTES = 64 * KiB
/** A single opaque app payload (`app` content, broadcast/sendTo), serialized. */
export const MAX_APP_PAYLOAD_BYTES = 256 * KiB
/** Chunk size of the chunked transfer (raw bytes per chunk). */
export const TRANSFER_CHUNK_BYTES = 48 * KiB
/** Largest transfer accepted in memory. */
export const MAX_TRANSFER_BYTES = 50 * MiB
/** Concurrent incoming transfers per peer. */
export const MAX_TRANSFERS_PER_PEER = 4

/** Display names, in characters (after trimming). */
export const MAX_NAME_CHARS = 64
/** Avatar (an emoji or a short tag; '' means initials). */
export const MAX_AVATAR_CHARS = 16
/** Serialized per-participant meta. */
export const MAX_META_BYTES = 4 * KiB
/** Participant ids, socket ids, transfer ids, message ids. */
export const MAX_ID_CHARS = 64
/** A stable identity token. */
export const MAX_IDENTITY_CHARS = 128
/** Roster size the authority will send. */
export const MAX_ROSTER_MEMBERS = 64
/** Banned identities a room remembers (oldest dropped first). */
export const MAX_BANS = 128
/** Admitted identities a locked room still takes back (oldest dropped first). */
export const MAX_ADMITTED = 256
/** Knock queue size the authority will keep. */
export const MAX_KNOCKS = 64

/** Chat text in characters. */
export const MAX_CHAT_CHARS = 2000
/** Chat lines kept in a buffer. */
export const MAX_CHAT_LINES = 500
/** Pay-me link URL / label. */
export const MAX_PAY_URL_CHARS = 512
export const MAX_PAY_LABEL_CHARS = 80
/** Schema discovery. */
export const MAX_SCHEMA_NAME_CHARS = 120
export const MAX_SCHEMA_VERSION_CHARS = 32
export const MAX_SCHEMA_BYTES = 64 * KiB
export const MAX_SCHEMAS_PER_PEER = 25
/** Feature tags advertised on the roster. */
export const MAX_FEATURE_TAGS = 64
export const MAX_FEATURE_TAG_CHARS = 32
/** A JWT (identity token, credential, host command). */
export const MAX_TOKEN_CHARS = 8192
/** An SDP blob and an ICE candidate line. */
export const MAX_SDP_CHARS = 32 * KiB
export const MAX_CANDIDATE_CHARS = 1024
/** Ink strokes in one restore event and points per stroke. */
export const MAX_INK_STROKES = 500
export const MAX_INK_POINTS = 2000
/** Grant map entries in one `caps` message. */
export const MAX_GRANTS = 128

/** Room ids: normalized length cap. */
export const MAX_ROOM_CHARS = 40
/** Room tag (what the broker routes on): base64url of 32 bytes. */
export const ROOM_TAG_CHARS = 43

/** JSON nesting depth accepted from peers. */
export const MAX_JSON_DEPTH = 32

/** Message discriminators (`t`, `k`, `__kib_agent`, ink `k`). */
export const MAX_KIND_CHARS = 32
/** Engine SemVer string. */
export const MAX_SEMVER_CHARS = 64
/** Role tag on a roster member. */
export const MAX_ROLE_CHARS = 32
/** Free-text reason (kick). */
export const MAX_REASON_CHARS = 200
/** An agent key assertion (signed, room-bound). */
export const MAX_ASSERTION_CHARS = 2048
/** Capability names per list in one grant, and their length. */
export const MAX_CAP_NAMES = 16
export const MAX_CAP_NAME_CHARS = 32
/** Transfer metadata. */
export const MAX_MIME_CHARS = 100
export const MAX_FILE_NAME_CHARS = 120
/** One base64 chunk of a JSON `xchunk`: 4 × ceil(TRANSFER_CHUNK_BYTES / 3) characters. */
export const MAX_CHUNK_BASE64_CHARS = 4 * Math.ceil(TRANSFER_CHUNK_BYTES / 3)
/** Ink colours (`#rgb`, `#rrggbbaa`, `rgb(…)`, `hsl(…)`). */
export const MAX_COLOR_CHARS = 40
/** ICE `sdpMid` and `usernameFragment`. */
export const MAX_SDP_MID_CHARS = 64
export const MAX_UFRAG_CHARS = 256
/** Media-health figures (kbps); anything above is nonsense. */
export const MAX_KBPS = 1_000_000

/** Bytes a sealed envelope adds around its plaintext: version (1) + IV (12) + GCM tag (16). */
export const ENVELOPE_OVERHEAD_BYTES = 29
/** A whole presence or signal message as JSON: it must fit one sealed broker frame. */
export const MAX_SEALED_MESSAGE_BYTES = MAX_BROKER_FRAME_BYTES - ENVELOPE_OVERHEAD_BYTES
/** A whole content message as JSON on a data channel (the app payload plus its envelope). */
export const MAX_CONTENT_MESSAGE_BYTES = MAX_APP_PAYLOAD_BYTES + 4 * KiB
