"""`monitor serve`: the search page in a browser, over any `Store` (a face, like cli/).

`app.create_app` builds the read-only Starlette app; `forms` reads a search from
its URL, `views` reads what a page shows from the store, `templates/` renders it.
"""
