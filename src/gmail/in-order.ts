/**
 * Fetching many things by id, concurrently but handed over in the order asked: each request
 * still waits on the mailbox's quota pacer (the paced transport), so "concurrently" means
 * only that the next ones are under way while the current one is written.
 */

/** Each id once, in the order given, fetched concurrently but never more than `ahead` ahead of the one handed over. */
export async function* fetchInOrder<T>(ids: readonly string[], fetch: (id: string) => Promise<T>, ahead: number): AsyncGenerator<T> {
  const unique = [...new Set(ids)];
  const pending: Array<Promise<T>> = [];
  const start = (index: number): void => {
    if (index >= unique.length) return;
    const promise = fetch(unique[index]!);
    promise.catch(() => undefined); // handled when awaited, in order
    pending[index] = promise;
  };
  for (let index = 0; index < Math.min(ahead, unique.length); index++) start(index);
  for (let index = 0; index < unique.length; index++) {
    const fetched = await pending[index]!;
    delete pending[index];
    start(index + ahead);
    yield fetched;
  }
}
