import { iso } from './state.ts';
import type { IncidentRecord, NotifyClaim } from './types.ts';

/**
 * Delivery bookkeeping for notify, pure. A sender claims an incident before posting (a lease, so a sender
 * that dies mid-post does not block the incident forever) and records the Slack message after. Nothing is
 * posted twice for the same state change: a claim for a `seq` already delivered is refused, and a second
 * sender is refused while a live claim exists. A sender that takes over an expired claim is told so
 * (`takeover`): the previous sender may have posted before dying ("Slack accepted, then timed out"), so it
 * should look for that message before posting again.
 */
export type ClaimDecision =
  | { claimed: true; next: IncidentRecord; takeover: NotifyClaim | null }
  | { claimed: false; reason: 'already_notified' | 'claimed'; holder: NotifyClaim | null };

export function claim(
  incident: IncidentRecord,
  seq: number,
  token: string,
  now: number,
  leaseMs: number,
): ClaimDecision {
  if (incident.notifiedSeq >= seq) return { claimed: false, reason: 'already_notified', holder: null };
  const held = incident.notifyClaim;
  const live = held !== null && Date.parse(held.until) > now;
  if (live && held.token !== token) return { claimed: false, reason: 'claimed', holder: held };
  const fresh: NotifyClaim = { token, seq, claimedAt: iso(now), until: iso(now + leaseMs) };
  const takeover = held !== null && held.token !== token ? held : null;
  return { claimed: true, next: { ...incident, notifyClaim: fresh }, takeover };
}

export type RecordDecision =
  | { recorded: true; reason: 'recorded' | 'claim_lost'; next: IncidentRecord }
  | { recorded: false; reason: 'already_recorded'; next: IncidentRecord | null };

/**
 * Marks `seq` delivered and keeps where the alert lives. The first message reference sticks: if two senders
 * both posted (a takeover race), updates keep going to the one recorded first. A sender whose claim was taken
 * over still records, because its post exists.
 */
export function record(
  incident: IncidentRecord,
  seq: number,
  token: string,
  slack: { channel: string; ts: string } | null,
  now: number,
): RecordDecision {
  const held = incident.notifyClaim;
  const ours = held !== null && held.token === token;
  const lost = held !== null && !ours && Date.parse(held.until) > now;
  const releaseClaim = ours || (held !== null && Date.parse(held.until) <= now);
  if (incident.notifiedSeq >= seq && (slack === null || incident.slack !== null)) {
    if (!ours) return { recorded: false, reason: 'already_recorded', next: null };
    return { recorded: false, reason: 'already_recorded', next: { ...incident, notifyClaim: null } };
  }
  const pending = incident.pendingNotice;
  return {
    recorded: true,
    reason: lost ? 'claim_lost' : 'recorded',
    next: {
      ...incident,
      notifiedSeq: Math.max(incident.notifiedSeq, seq),
      notifiedAt: iso(now),
      slack: incident.slack ?? slack,
      notifyClaim: releaseClaim ? null : held,
      pendingNotice: pending !== null && pending.seq <= seq ? null : pending,
    },
  };
}

/** Gives a claim back (the post failed and will be retried): the next sender need not wait for the lease. */
export function release(incident: IncidentRecord, token: string): IncidentRecord | null {
  if (incident.notifyClaim?.token !== token) return null;
  return { ...incident, notifyClaim: null };
}

/** The outbox entry for `seq` is on the notices queue now. */
export function noticeSent(incident: IncidentRecord, seq: number): IncidentRecord | null {
  const pending = incident.pendingNotice;
  if (pending === null || pending.seq > seq) return null;
  return { ...incident, pendingNotice: null };
}
