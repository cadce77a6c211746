"""The redirect hot path, and nothing else. Its contract:

- It runs as a small WSGI layer in front of the Flask app (`views.RedirectMiddleware`): a
  request whose first path segment is not a reserved route and that names a short code is
  answered here; everything else falls through to Flask unchanged.
- Links are served from an in-process cache of compiled links (`cache.py`, filled by
  `resolve.py`), invalidated synchronously by `services/` on every write: one process, so no
  TTL guessing. A cache miss costs at most two indexed reads; a hit costs none.
- Rules are evaluated by the pure engine in `evaluate.py`; visitor facts (`facts.py`) are
  computed lazily, only those the link's rules need before the response.
- No session, no CSRF, no template on the common path, an explicit redirect status, and no
  SQLite write on the request thread: the click goes into the bounded buffer of `clicks.py`,
  whose single writer thread flushes it in batches.
- Under `linkhub serve`, the requests this layer owns (`RedirectMiddleware.owns`: GET or HEAD
  of `/` or one non-reserved path segment) are answered on waitress's I/O thread
  (`serving.py`), since they never block; every other request goes to the worker threads.
"""
