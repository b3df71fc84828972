import os

# Browser tests drive Playwright's sync API, which keeps an event loop on the main thread;
# Django's ORM calls from the same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
