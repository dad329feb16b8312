/**
 * FROZEN VECTORS — the wire ABI. These tags are what the broker routes on; changing the HKDF
 * salt/info, the normalization or the encoding breaks every deployed client. Never edit them to
 * make a test pass: a change here is a PROTOCOL_VERSION bump (SPEC P10).
 */
export const FROZEN_TAGS: [room: string, tag: string][] = [
  ['room-3f9k2mq7p1', 'R_hJI0WkwR9PnV4uznpXuTzD71dF0-z7Af2bPFeKWi8'],
  ['my-room-42', '80fm4AFEtIGrD-TCQcJbg4Zd8-_AWU9WTpOwN4AyMwI'],
  ['a', 'FYPcFMyAoJxPjSDs7QtRKNsKuq4EYDc_M0c4nrFVWVA'],
  ['x'.repeat(40), 'IjdMUtXAmHE4X0niQ4D8UC7-o-c1U9h08Zjv1muIBRU'],
]
