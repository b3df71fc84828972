import os

import pytest

# Browser tests drive Playwright's sync API, which keeps an event loop on the main thread;
# Django's ORM calls from the same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with empty counters (public-form and API rate limits live in the cache),
    so limits meant for people do not trip on a whole test run from one address."""
    from django.core.cache import cache

    cache.clear()
