/**
 * The console's state hooks: the path it shows (deep links, history) and views polled from the API.
 * @module
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** Views refresh this often while open (jobs change as they run). */
export const REFRESH_MS = 2000;

/** Navigates inside the app: a real URL, no reload. */
export type Go = (to: string) => void;

/** The path shown, following the browser's back and forward buttons. */
export function usePath(): [string, Go] {
  const [path, setPath] = useState(location.pathname + location.search);
  useEffect(() => {
    const onPop = () => setPath(location.pathname + location.search);
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const go = useCallback((to: string) => {
    history.pushState(null, '', to);
    setPath(to);
    scrollTo(0, 0);
  }, []);
  return [path, go];
}

/** A polled value: the last good one stays on screen while a refresh runs or fails (no flicker). */
export interface Polled<T> {
  value?: T;
  error?: string;
  /** Loads again now (after an action), then keeps polling. */
  reload: () => void;
}

/**
 * Polls `load` every {@link REFRESH_MS} while the view is open (and the tab visible). The API layer hands back
 * the same object for an unchanged view (ETag / identical body), and setting the same object renders nothing.
 */
export function usePolled<T>(load: () => Promise<T>, deps: unknown[], every = REFRESH_MS): Polled<T> {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const shown = useRef<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    // Another view (not a reload of this one): what the last one showed must not stay on screen.
    const key = JSON.stringify(deps);
    if (shown.current !== undefined && shown.current !== key) setValue(undefined);
    shown.current = key;
    const run = () => {
      if (document.hidden) return;
      loadRef.current().then(
        (v) => {
          if (!live) return;
          setValue(() => v);
          setError(undefined);
        },
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      );
    };
    run();
    const timer = setInterval(run, every);
    return () => {
      live = false;
      clearInterval(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { value, error, reload: useCallback(() => setTick((t) => t + 1), []) };
}
