"""`serve`: a read-only TMDb v3 API over the store, for applications that want the copy.

`documents` reads the store (read-only) and answers document requests, `index` answers search
and discover, `app` is the HTTP face, `server` binds, builds and serves.
"""
