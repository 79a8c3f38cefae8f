import { z } from 'zod';

/**
 * The spec's EndPointsEnum (SS 12000 v2.1, `Code_ObjectType`): the resource types a subscription may
 * name. Every value is accepted; a type the data API does not serve yet simply never changes.
 */
export const RESOURCE_TYPES = [
  'Absence',
  'AttendanceEvent',
  'Attendance',
  'Grade',
  'CalendarEvent',
  'AttendanceSchedule',
  'Resource',
  'Room',
  'Activity',
  'Duty',
  'Placement',
  'StudyPlan',
  'Programme',
  'Syllabus',
  'SchoolUnitOffering',
  'Group',
  'Person',
  'Organisation',
] as const;
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** A client keeps at most this many subscriptions (each change is checked against each of them). */
export const MAX_SUBSCRIPTIONS_PER_CLIENT = 20;
/** How long a subscription lives from its creation or last renewal (PATCH /subscriptions/{id}). */
export const SUBSCRIPTION_DAYS = 30;

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * One entry of `resourceTypes`: the schema's `{ "resource": "Person" }`, or the bare `"Person"` of the
 * spec's own example (clients copy examples; both mean the same and neither can mean more).
 */
const resourceTypeEntry = z.union([z.enum(RESOURCE_TYPES), z.strictObject({ resource: z.enum(RESOURCE_TYPES) })]);

/** The spec's CreateSubscription (POST /subscriptions); a member it does not define is refused. */
export const createSubscriptionSchema = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1, 'name must not be empty')
    .max(200, 'name must be at most 200 characters')
    // The database stores no NUL, and a control character in a label only hides what it says.
    .refine((v) => !CONTROL.test(v), 'name must not contain control characters'),
  resourceTypes: z.array(resourceTypeEntry).min(1, 'resourceTypes must name at least one resource type').max(RESOURCE_TYPES.length * 2),
  target: z.string().refine((v) => !CONTROL.test(v), 'target must not contain control characters'),
});
export type CreateSubscription = z.infer<typeof createSubscriptionSchema>;

/** The spec's Subscription, as the data API answers it. */
export interface SubscriptionBody {
  id: string;
  expires: string;
  name: string;
  resourceTypes: { resource: ResourceType }[];
  target: string;
}
