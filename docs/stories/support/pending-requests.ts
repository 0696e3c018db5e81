/**
 * Requests that never answer, for the stories that show a loading state: while installed, `fetch`
 * of a URL under {@link PENDING} waits until its signal aborts (an element cancels its load when it
 * is removed). Other URLs go to the network as usual.
 */

/** Path segment of the URLs that never answer (relative: the site may live under a sub-path). */
export const PENDING = '__pending__/';

/** Installs the pending `fetch`; returns the function that restores the real one. */
export function holdPendingRequests(): () => void {
  const original = globalThis.fetch;
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!new URL(href, document.baseURI).pathname.includes(`/${PENDING}`)) return original(input, init);
    return new Promise<Response>((_resolve, reject) => {
      const signal = init?.signal;
      const abort = () => reject(new DOMException('The operation was aborted.', 'AbortError'));
      if (signal?.aborted) abort();
      else signal?.addEventListener('abort', abort, { once: true });
    });
  };
  return () => {
    globalThis.fetch = original;
  };
}
