import { useEffect, useState } from 'preact/hooks';

/**
 * Hash routes (`#/runs/<id>?x=y`): a static app with no server rewrites, the same under
 * `/console/` locally and at the CloudFront root on AWS.
 */
export interface Route {
  readonly path: string[];
  readonly query: URLSearchParams;
}

export function currentRoute(): Route {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [p = '/', q = ''] = raw.split('?');
  return {
    path: p
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s)),
    query: new URLSearchParams(q),
  };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** `#/a/b?x=1` from segments (each URL-encoded) and a query. */
export function href(segments: string[], query?: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v) q.set(k, v);
  const qs = q.toString();
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}${qs ? `?${qs}` : ''}`;
}

export function navigate(to: string) {
  location.hash = to.replace(/^#/, '');
}
