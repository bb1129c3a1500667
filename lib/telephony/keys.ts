// Typed KV key builders of the telephony capability: the only place its key shapes are written
// down. A call's admission and participant are meeting records (lib/meetings/keys.ts). Only
// lib/telephony/store.ts (the telephony store module) reads and writes these keys. The shapes are
// stored data: changing one makes existing records unreadable.

export const callKeys = {
  /** The PhoneCall record, by the gateway's call id. */
  call: (callId: string) => ["sip_calls", callId] as const,
  /** The call behind a phone caller's admission (value: the call id). */
  byAdmission: (meetingId: string, admissionId: string) => ["sip_calls_by_admission", meetingId, admissionId] as const,
};

/** Wrong-passcode counters of dial-in (lib/telephony/dial_in_guard.ts), by source address and by meeting. */
export const dialInKeys = {
  /** Wrong passcodes from one source address (the SIP packet's source IP), over all meetings. */
  source: (ip: string) => ["sip_dial_in_source", ip] as const,
  /** Wrong passcodes for one meeting (10-digit meeting ID), from every source. */
  meeting: (meetingId: string) => ["sip_dial_in_meeting", meetingId] as const,
};
