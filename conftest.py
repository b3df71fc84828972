import os
from collections.abc import Iterator

import pytest

# Browser tests drive Playwright's sync API, which keeps an event loop on the main thread;
# Django's ORM calls from the same thread are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True, scope="session")
def _quick_password_hashing() -> Iterator[None]:
    """Staff passwords hashed with a quick hasher: argon2 as deployed takes most of a second and
    100 MiB a hash, and every test class makes several staff accounts. The test that Turnout's own
    setting stores argon2 puts that setting back (accounts/tests/test_login.py)."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with empty counters (public-form and API rate limits live in the cache),
    so limits meant for people do not trip on a whole test run from one address."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _no_csp_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """A browser test fails on anything the Content-Security-Policy refused, in any of its pages."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    from turnout.site.tests import csp_watch

    csp_watch.take()
    yield
    assert not (seen := csp_watch.take()), "The Content-Security-Policy refused:\n" + "\n".join(seen)
