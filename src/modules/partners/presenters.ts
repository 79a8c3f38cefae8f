import type { Partner } from '../../db/schema.ts';

/** Partner row (+ members) → the profile the partner portal shows. */
export const presentProfile = (p: Partner, members: { id: string; display_name: string; email: string }[]) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  website: p.website,
  contactEmail: p.contact_email,
  public: p.public,
  members: members.map((m) => ({ userId: m.id, displayName: m.display_name, email: m.email })),
  createdAt: p.created_at,
  updatedAt: p.updated_at,
});

/** What the audit log keeps of a profile (no member list: membership has its own entries). */
export const profileSnapshot = (p: Pick<Partner, 'name' | 'description' | 'website' | 'contact_email' | 'public'>) => ({
  name: p.name,
  description: p.description,
  website: p.website,
  contactEmail: p.contact_email,
  public: p.public,
});
