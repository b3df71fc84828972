"""`next_url`: the one check every page uses before following a `next` it was given."""

from __future__ import annotations

from django.test import RequestFactory, SimpleTestCase

from turnout.core.redirects import next_url, redirect_next


class NextUrlTests(SimpleTestCase):
    factory = RequestFactory()

    def test_only_this_sites_paths_are_followed(self) -> None:
        for target in ("https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
                       "javascript:alert(1)", "https:evil.example", "http://testserver.evil.example/", ""):
            for request in (self.factory.post("/x", {"next": target}), self.factory.get("/x", {"next": target})):
                self.assertEqual(next_url(request, "/home/"), "/home/", target)
        for target in ("/people/?page=2", "http://testserver/people/"):
            self.assertEqual(next_url(self.factory.post("/x", {"next": target}), "/home/"), target)

    def test_a_secure_page_sends_only_to_https(self) -> None:
        request = self.factory.post("/x", {"next": "http://testserver/people/"}, secure=True)
        self.assertEqual(next_url(request, "/home/"), "/home/")
        request = self.factory.post("/x", {"next": "https://testserver/people/"}, secure=True)
        self.assertEqual(redirect_next(request, "/home/")["Location"], "https://testserver/people/")
