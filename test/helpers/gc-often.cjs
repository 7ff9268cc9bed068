// Preloaded with `node --expose-gc -r` by tests: a full garbage collection every 100 ms, so
// that anything kept alive only by a weak reference (a timer's signal) is collected while a
// request waits, as V8 does on its own in a process idle for ~10 s.
if (typeof globalThis.gc === 'function') setInterval(() => globalThis.gc(), 100).unref();
