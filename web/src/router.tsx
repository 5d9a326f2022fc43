/**
 * A few routes under the dashboard's base (/dashboard/), with real URLs: every page can
 * be bookmarked, opened in a new tab, and reached by the back button. Links are real
 * <a href> elements; a plain click is handled here without reloading.
 */
import type {ComponentChildren} from 'preact';
import {useEffect, useState} from 'preact/hooks';

export const BASE = import.meta.env.BASE_URL; // "/dashboard/"

export type Route =
  | {page: 'operations'}
  | {page: 'operation'; id: string}
  | {page: 'workers'}
  | {page: 'worker'; id: string}
  | {page: 'queue'}
  | {page: 'notFound'};

export interface Location {
  route: Route;
  query: URLSearchParams;
  /** history.state of this entry (e.g. the page tokens behind the current page). */
  state: unknown;
}

export function parseRoute(pathname: string): Route {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname.replace(/^\//, '');
  const parts = rest
    .split('/')
    .filter(Boolean)
    .map(part => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  const [first, second] = parts;
  if (parts.length === 0) return {page: 'operations'};
  if (first === 'operations' && parts.length === 1) return {page: 'operations'};
  if (first === 'operations' && second !== undefined && parts.length === 2) return {page: 'operation', id: second};
  if (first === 'workers' && parts.length === 1) return {page: 'workers'};
  if (first === 'workers' && second !== undefined && parts.length === 2) return {page: 'worker', id: second};
  if (first === 'queue' && parts.length === 1) return {page: 'queue'};
  return {page: 'notFound'};
}

function current(): Location {
  return {route: parseRoute(window.location.pathname), query: new URLSearchParams(window.location.search), state: window.history.state};
}

const NAVIGATED = 'gaffer:navigate';

/** Goes to `href` (a path under BASE, with its query) without a reload. */
export function navigate(href: string, options: {replace?: boolean; state?: unknown} = {}): void {
  const state = options.state ?? null;
  if (options.replace) window.history.replaceState(state, '', href);
  else window.history.pushState(state, '', href);
  window.dispatchEvent(new Event(NAVIGATED));
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return location;
}

/** A dashboard URL: `path` under BASE plus the query (empty values left out). */
export function href(path: string, query: Record<string, string | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value);
  const search = params.toString();
  return `${BASE}${path}${search ? `?${search}` : ''}`;
}

interface LinkProps {
  href: string;
  class?: string;
  title?: string;
  'aria-current'?: 'page' | undefined;
  children?: ComponentChildren;
  [data: `data-${string}`]: string | boolean | undefined;
}

/** A real link; a plain left click navigates in place, anything else is the browser's. */
export function Link({href: to, children, ...rest}: LinkProps) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a {...rest} href={to} onClick={onClick}>
      {children}
    </a>
  );
}
