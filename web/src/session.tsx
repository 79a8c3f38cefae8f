import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { api, ApiProblem, setCsrfToken } from './api/client.ts';
import type { Res } from './api/types.ts';

export type Session = Res<'/api/v1/auth/session'>;
export type SessionUser = Session['user'];
export type Role = 'operator' | 'partner' | 'school_admin' | 'school_no_access';

/** The role a signed-in user works in, which decides their area of the app. */
export function roleOf(user: SessionUser): Role {
  if (user.kind === 'operator') return 'operator';
  if (user.kind === 'partner') return 'partner';
  return user.userManagementAccess ? 'school_admin' : 'school_no_access';
}

/** Where each role lands after sign-in. */
export function landingPath(user: SessionUser): string {
  switch (roleOf(user)) {
    case 'operator':
      return '/operator/review';
    case 'partner':
      return user.partnerId ? '/partner/apps' : '/partner/profile';
    case 'school_admin':
      return '/school/apps';
    default:
      return '/no-access';
  }
}

/** Only same-site paths may be a post-sign-in destination (no open redirect). */
export function safeNext(next: string | null | undefined): string | undefined {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return undefined;
  return next;
}

/** The current session, or null when signed out. */
export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async (): Promise<Session | null> => {
      try {
        const s = await api.get<Session>('/auth/session');
        setCsrfToken(s.csrfToken);
        return s;
      } catch (e) {
        if (e instanceof ApiProblem && (e.status === 401 || e.status === 404)) {
          setCsrfToken(undefined);
          return null;
        }
        throw e;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

/** Stores a fresh session (after login) and forgets every cached answer of the previous user. */
export function useSetSession() {
  const qc = useQueryClient();
  return useCallback(
    (s: Session | null) => {
      setCsrfToken(s?.csrfToken);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
      qc.setQueryData(['session'], s);
    },
    [qc],
  );
}
