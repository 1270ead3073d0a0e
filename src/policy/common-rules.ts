// Rules for every kind of job: power, the client's constraints, and backoff (POLICY.md §3, §6).
import { costHold } from './cost-rules.js';
import { reason } from './reasons.js';
import type { Rule } from './rule.js';
import { allowsBattery } from './size-rules.js';

const NEEDS_POWER = reason('needs-external-power');
const NEEDS_CHARGING = reason('needs-charging');

export const needsExternalPower: Rule = (t, { c }, out) => {
  if (c.power.source === 'battery' && !allowsBattery(t.preferences)) out.push(NEEDS_POWER);
};

export const constraints: Rule = (t, { c, p }, out) => {
  const cs = t.constraints;
  const onBattery = c.power.source === 'battery';
  // "charging" as Android means it: plugged in. A mains-only gateway never reports charging but is plugged in.
  if (cs.charging && onBattery && !c.power.charging) out.push(NEEDS_CHARGING);
  if (cs.batteryNotLow && onBattery && !c.power.charging) {
    const pct = c.power.batteryPercent;
    if (pct !== null && pct <= p.batteryLowPercent) {
      out.push(reason('battery-low', { batteryPercent: pct, thresholdPercent: p.batteryLowPercent }));
    }
  }
  if (cs.storageNotLow && c.storage.low) out.push(reason('storage-low', { freeBytes: c.storage.freeBytes }));
};

/** Time windows and client quotas (cost-rules.ts), for every kind of job. */
export const costControls: Rule = (t, ctx, out) => {
  if (!ctx.cost) return;
  const held = costHold(t, ctx.c, ctx.p, ctx.cost);
  if (!held) return;
  out.push(...held.reasons);
  if (held.until != null) ctx.holdUntil = held.until;
};

export const backoff: Rule = (t, { now, holdUntil }, out) => {
  if (t.nextAttemptAt === null) return;
  const until = Date.parse(t.nextAttemptAt);
  // A nextAttemptAt no later than the cost hold's end is that hold's own (Decision.until), not a backoff.
  if (until > now && !(holdUntil !== undefined && until <= holdUntil)) out.push(reason('backoff-until', { untilIso: t.nextAttemptAt }));
};
