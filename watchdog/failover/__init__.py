"""The failover executor: exactly one failover POST per intent, journaled at every step, tracked to the end.

Steps, each journaled before the next begins (so a crash anywhere leaves a record saying what is known):
1. INTENDED: the intent is written (status intended, `sent_at` empty).
2. Checks right before the POST: `may_act()` (the authority seam: leader and fencing, roadmap) and
   an operator pause given since the decision, then the `before_submit` hook (a veto), then the
   first two again (the hook may be slow). A refusal closes the intent as failed and lifts the
   latch: nothing was sent.
3. SENT: `sent_at` is written (only if the intent is still open and unsent, in one conditional
   write), then the POST goes out. It is never repeated for this intent.
4. SUBMITTED: a 200 (or, after an ambiguous answer, the DR task showing the switch) is journaled.
5. Tracking: the DR detail and the new primary's detail are polled until the roles are swapped and the
   new primary is AVAILABLE with no action in progress (completed), or the task, seen switching, left
   `switchovering` with the roles not swapped (failed: positive evidence only; a task that is slow
   to show the switch is followed on), or the timeout passes (unknown: an operator must look).
6. The outcome is journaled with the latch (and the `after_complete` hook runs on success).

Ambiguity is resolved against the DR task, never by sending again. `reconcile()` settles every open
intent at start-up: one without `sent_at` was provably never sent and is closed (the next rounds
decide afresh) if its maker is gone: the daemon's own at once, a manual one (its CLI may still be in
its veto hook) once older than `stale_unsent_seconds`. That close is one write conditioned on
`sent_at IS NULL`, so a maker that marks the intent sent a moment earlier wins and the intent is
followed as sent; a maker that comes later finds it closed and does not send. One sent but not
known to be submitted is submitted if the DR task shows a switch, and otherwise becomes `unknown`
after a grace period. We cannot prove a sent POST was not received, so we never send it again:
exactly once beats liveness, and `ack` is the operator's way out.
"""

from watchdog.failover.base import DrApi, ExecutorTiming, ManualOutcome, Step
from watchdog.failover.reconcile import Executor

__all__ = ["DrApi", "Executor", "ExecutorTiming", "ManualOutcome", "Step"]
