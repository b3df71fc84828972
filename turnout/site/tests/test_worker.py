"""Background work: an upload is imported by a separate worker process, on the database queue or on Redis."""

from __future__ import annotations

from io import BytesIO

import redis
from django.test import TransactionTestCase
from django.urls import reverse

from turnout.accounts.models import Role
from turnout.people.imports import run_import_job, start_import
from turnout.people.models import ImportJob, Person, Tag
from turnout.site.testing import TurnoutTestCase, make_group, make_staff, start_previewed_import
from turnout.site.tests.helpers import turnout

CSV = b"email,first_name,zip\nana@example.org,Ana,98101\nbad-email,Bob,98101\nluis@example.org,Luis,10027\n"


class WorkerProcessTests(TransactionTestCase):
    def setUp(self) -> None:
        self.group = make_group("Local 8")
        self.organizer = make_staff("organizer@example.org", self.group, Role.ORGANIZER)

    def test_the_database_worker_imports_an_uploaded_file(self) -> None:
        """Upload page -> queued job -> `turnout worker --burst` in another process -> people and a report."""
        self.client.force_login(self.organizer)
        response = self.client.post(reverse("people:imports"), {
            "file": _upload("members.csv"), "group": self.group.pk, "tag": "spring", "membership": "member",
        })
        job = ImportJob.objects.get()
        self.assertRedirects(response, job.get_absolute_url())
        self.assertContains(self.client.get(job.get_absolute_url()), "Import with these columns")
        self.assertRedirects(start_previewed_import(self.client, job), job.get_absolute_url())
        self.assertContains(self.client.get(job.get_absolute_url()), "waiting to start")
        result = turnout("worker", "--burst")
        self.assertEqual(result.returncode, 0, result.stderr)
        job.refresh_from_db()
        self.assertEqual((job.status, job.rows_created, job.rows_failed), ("done", 2, 1))
        page = self.client.get(job.get_absolute_url())
        self.assertContains(page, "finished")
        self.assertContains(page, "bad-email")
        report = self.client.get(reverse("people:import_errors", args=[job.public_id]))
        self.assertIn('"Row 3: not imported (“email”): “bad-email” is not a valid email address.","bad-email","Bob"'.encode(),
                      b"".join(report.streaming_content))
        self.assertEqual(set(Person.objects.tagged(Tag.objects.in_group(self.group).named("spring")).values_list("given_name", flat=True)), {"Ana", "Luis"})

    def test_the_redis_worker_runs_the_same_task(self) -> None:
        """With REDIS_URL set, enqueue and worker both go through Redis (RQ)."""
        redis_url = "redis://127.0.0.1:6379/15"
        redis.Redis.from_url(redis_url).flushdb()
        job = start_import(actor=self.organizer, group=self.group, upload=BytesIO(CSV), original_name="rq.csv", membership="member")
        # start_import queued on the database backend; queue it again on Redis from another process.
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
        enqueue = turnout("shell", "-c", f"from turnout.people.tasks import run_import; print(run_import.enqueue(job_id={job.pk}).id)",
                          env={"REDIS_URL": redis_url})
        self.assertEqual(enqueue.returncode, 0, enqueue.stderr)
        self.assertEqual(redis.Redis.from_url(redis_url).llen("rq:queue:default"), 1)
        work = turnout("worker", "--burst", env={"REDIS_URL": redis_url})
        self.assertEqual(work.returncode, 0, work.stderr)
        job.refresh_from_db()
        self.assertEqual((job.status, job.rows_created), ("done", 2))
        self.assertEqual(redis.Redis.from_url(redis_url).llen("rq:queue:default"), 0)


class ImportJobTests(TurnoutTestCase):
    def test_running_a_job_twice_imports_once(self) -> None:
        job = start_import(actor=self.organizer, group=self.local, upload=BytesIO(CSV), original_name="twice.csv", membership="member")
        run_import_job(job_id=job.pk)
        run_import_job(job_id=job.pk)
        self.assertEqual(Person.objects.filter(emails__address="ana@example.org").count(), 1)

    def test_a_job_whose_worker_died_starts_over_without_duplicates(self) -> None:
        job = start_import(actor=self.organizer, group=self.local, upload=BytesIO(CSV), original_name="crash.csv", membership="member")
        run_import_job(job_id=job.pk)
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, rows_created=1)
        job = run_import_job(job_id=job.pk)
        self.assertEqual((job.status, job.rows_created, job.rows_updated), ("done", 0, 2))
        self.assertEqual(Person.objects.filter(emails__address__in=["ana@example.org", "luis@example.org"]).count(), 2)

    def test_an_empty_upload_is_refused_on_the_form_keeping_the_other_fields(self) -> None:
        self.login(self.organizer)
        response = self.client.post(reverse("people:imports"), {"file": _upload("empty.csv", b""), "group": self.local.pk,
                                                                "tag": "keep-me", "membership": "member"})
        self.assertContains(response, "The submitted file is empty.")
        self.assertContains(response, 'value="keep-me"')
        self.assertFalse(ImportJob.objects.exists())

    def test_a_file_without_contact_columns_fails_with_the_reason_on_the_page(self) -> None:
        job = start_import(actor=self.organizer, group=self.local, upload=BytesIO(b"name\nAna\n"), original_name="x.csv", membership="member")
        run_import_job(job_id=job.pk)
        self.login(self.organizer)
        self.assertContains(self.client.get(job.get_absolute_url()), "needs an email or a phone column")


def _upload(name: str, content: bytes = CSV) -> BytesIO:
    handle = BytesIO(content)
    handle.name = name
    return handle


