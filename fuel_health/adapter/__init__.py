"""The OSTF REST adapter: serves the suite to Fuel UI's OSTF tab, fuel-qa's Jenkins jobs and a plain page.

    fuel-health serve [--host H] [--port P] [--db URL] [--cluster-config PATH ...] [--nailgun-url URL]

Modules: app (routes, errors), schemas (request/response bodies), models (SQLAlchemy tables), catalog
(test discovery, redone when the test files change), clusters (per-cluster config and tags), runner (one
pytest process per run: start, stop, restart, recovery), reporter (the pytest side: streams per-test status
to the database), page (+ page.html: the built-in page), settings, server (uvicorn). See docs/ostf-adapter.md.
"""
