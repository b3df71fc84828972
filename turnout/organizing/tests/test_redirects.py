"""After a form on an organizing page, the browser goes back where it was: on this site, never elsewhere."""

from __future__ import annotations

from django.urls import reverse

from turnout.organizing.models import Area, Assessment
from turnout.organizing.tests.test_organizing import OrganizingCase
from turnout.organizing.views import worker_url

HOSTILE = ["https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
           "https:evil.example"]


class NextRedirectTests(OrganizingCase):
    def test_a_posted_next_to_another_site_is_not_followed(self) -> None:
        """The area is added, and the browser comes back to the workplace instead."""
        self.client.force_login(self.volunteer_user)
        url = reverse("organizing:workplace", args=[self.pike.public_id])
        for n, target in enumerate(HOSTILE):
            response = self.client.post(url, {"add_area": "1", "kind": "department", "name": f"Area {n}",
                                              "next": target})
            self.assertRedirects(response, url, fetch_redirect_response=False, msg_prefix=target)
        self.assertEqual(Area.objects.filter(workplace=self.pike).count(), len(HOSTILE))

    def test_a_worker_form_goes_back_to_the_worker_not_to_a_posted_site(self) -> None:
        worker = self.roster(self.unit, 1)[0]
        self.client.force_login(self.organizer)
        url = worker_url(worker)
        for target in HOSTILE:
            response = self.client.post(url, {"assess": "1", "score": "3", "next": target})
            self.assertRedirects(response, url, fetch_redirect_response=False, msg_prefix=target)
        self.assertEqual(Assessment.objects.filter(worker=worker).count(), len(HOSTILE))

    def test_a_next_on_this_site_is_followed_and_over_https_only_to_https(self) -> None:
        self.client.force_login(self.volunteer_user)
        url = reverse("organizing:workplace", args=[self.pike.public_id])
        unit = self.unit.get_absolute_url()
        response = self.client.post(url, {"add_area": "1", "kind": "department", "name": "A", "next": unit})
        self.assertRedirects(response, unit, fetch_redirect_response=False)
        response = self.client.post(url, {"add_area": "1", "kind": "department", "name": "B",
                                          "next": f"http://testserver{unit}"}, secure=True)
        self.assertRedirects(response, url, fetch_redirect_response=False)
        response = self.client.post(url, {"add_area": "1", "kind": "department", "name": "C",
                                          "next": f"https://testserver{unit}"}, secure=True)
        self.assertRedirects(response, f"https://testserver{unit}", fetch_redirect_response=False)
