import type { AppStatus } from '../../db/schema.ts';

/** The operator's review actions and the app statuses each may start from. */
export const REVIEW_TRANSITIONS = {
  approve: { from: ['submitted'], to: 'approved', action: 'app.approved', mail: 'app_approved' },
  reject: { from: ['submitted'], to: 'rejected', action: 'app.rejected', mail: 'app_rejected' },
  suspend: { from: ['approved'], to: 'suspended', action: 'app.suspended', mail: 'app_suspended' },
  reapprove: { from: ['suspended'], to: 'approved', action: 'app.reapproved', mail: 'app_reapproved' },
  archive: { from: ['draft', 'submitted', 'approved', 'rejected', 'suspended'], to: 'archived', action: 'app.archived', mail: 'app_archived' },
} as const satisfies Record<string, { from: AppStatus[]; to: AppStatus; action: string; mail: string }>;

export type ReviewAction = keyof typeof REVIEW_TRANSITIONS;

/** Whether the operator may take `action` on an app in `status`. */
export const mayTransition = (action: ReviewAction, status: AppStatus): boolean => (REVIEW_TRANSITIONS[action].from as readonly AppStatus[]).includes(status);
