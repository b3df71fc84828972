"""Settling waiting public forms, petition and pledge signatures in the worker, in one process.

    python benchmarks/bench_settle_forms.py --engine postgres --kind form --forms 1000 --rounds 3

Stores `--forms` forms a round for one page as the public page does (`submit_later`,
`sign_petition_later`, `sign_pledge_later`; each a new person with an email, a third also with a
mobile number and text consent, a fifth in Spanish, a quarter through a sharer's link), then
times the worker settling them (`settle_waiting` / `settle_pledges`, in batches), wall clock and
this process's CPU time, which the machine's other load disturbs less. For a form with an
autoresponse (`--kind form`), also times running the autoresponse tasks the batches queued (not
their dispatch) and counts them. Prints forms/s a round and the medians, and checks that every
form made exactly one act and one person.

To compare two versions of the code, run this file from each tree in turn (a "before" tree made
with `git archive <commit> | tar -x -C /tmp/before`), alternating, each with its own BENCH_DB.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from common import OUT, database_url, setup_django

CONSENT = "Text me about this and other actions. Msg & data rates may apply. Reply STOP to stop."
AUTORESPONSE_TASKS = ("turnout.actions.tasks.send_autoresponse", "turnout.actions.tasks.send_autoresponses")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--kind", choices=["form", "petition", "pledge"], default="form")
    parser.add_argument("--forms", type=int, default=1000, help="forms stored and settled a round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup_django(database_url(args.engine))
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from turnout.accounts.models import Group
    from turnout.actions import services as actions
    from turnout.actions.models import Form, Petition, PetitionSignature, Submission
    from turnout.mobilization import services as mobilization
    from turnout.mobilization.models import Pledge, Signature
    from turnout.people.models import EmailAddress, Person
    from turnout.people.services import ContactChoice, signup_person
    from turnout.sharing.services import share_code

    local = Group.objects.create(name="Local 8", slug="local-8")
    sharer, _created = signup_person(actor=None, group=local, fields={"given_name": "Rosa"}, source="staff",
                                     emails=[ContactChoice("rosa@example.org")])
    code = share_code(sharer)
    page: Form | Petition | Pledge
    if args.kind == "form":
        page = Form.objects.create(group=local, title="Join the heat campaign", tags="heat-2026, volunteer",
                                   autoresponse_subject="Welcome", autoresponse_body="Next meeting Monday.",
                                   autoresponse_body_es="Próxima reunión el lunes.")
    elif args.kind == "petition":
        page = Petition.objects.create(group=local, title="Heat", petition_text="Heat now.")
    else:
        page = Pledge.objects.create(group=local, title="Protect the results", text="We pledge.")
    counter = iter(range(10**9))

    def store(count: int) -> None:
        for _ in range(count):
            n = next(counter)
            phone = f"+1206{2000000 + n:07d}" if n % 3 == 0 else ""
            data = {"given_name": f"Member{n}", "family_name": "Rivera", "email": f"m{n}@example.org",
                    "phone": phone, "postal_code": "98101", "language": "es" if n % 5 == 0 else "en",
                    "sms_consent_text": CONSENT if phone else "", "answers": {"Shift": "Night"}, "source": "form",
                    "ref": code if n % 4 == 0 else "", "comment": "Cold in here." if n % 2 else "",
                    "show_name": n % 2 == 0}
            if isinstance(page, Form):
                actions.submit_later(page, data)
            elif isinstance(page, Petition):
                actions.sign_petition_later(page, data)
            else:
                mobilization.sign_pledge_later(pledge=page, data=data)

    def settle() -> int:
        return mobilization.settle_pledges() if args.kind == "pledge" else actions.settle_waiting()

    def answer() -> int:
        """Run the autoresponse tasks in the queue, as the worker would; how many."""
        ran = 0
        for result in list(DBTaskResult.objects.ready().filter(task_path__in=AUTORESPONSE_TASKS)):
            result.task.call(*result.task_result.args, **result.task_result.kwargs)
            result.delete()
            ran += 1
        return ran

    warm = 20  # a first, unmeasured round: the ZIP table loaded, the tags made, the code paths warm
    store(warm)
    settle()
    answer()
    DBTaskResult.objects.all().delete()
    rates: dict[str, list[float]] = {"settled": [], "settled, CPU": [], "answered": [], "answered, CPU": []}
    for round_number in range(args.rounds):
        store(args.forms)
        DBTaskResult.objects.all().delete()  # the settling run the forms asked for: done below
        wall, cpu = time.perf_counter(), time.process_time()
        settled = settle()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        rates["settled"].append(settled / wall)
        rates["settled, CPU"].append(settled / cpu)
        line = f"  round {round_number + 1}: settled {settled} in {wall:.2f}s ({settled / wall:.0f}/s, " \
               f"{settled / cpu:.0f}/CPU-s)"
        if args.kind == "form":
            tasks = DBTaskResult.objects.ready().filter(task_path__in=AUTORESPONSE_TASKS).count()
            wall, cpu = time.perf_counter(), time.process_time()
            ran = answer()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rates["answered"].append(settled / wall)
            rates["answered, CPU"].append(settled / cpu)
            line += f"; {tasks} autoresponse tasks, {ran} run in {wall:.2f}s ({settled / wall:.0f} forms/s, " \
                    f"{settled / cpu:.0f}/CPU-s)"
            DBTaskResult.objects.all().delete()  # their dispatch: not measured
        print(line, flush=True)
    for name, values in rates.items():
        if values:
            print(f"{args.engine} {args.kind}, {name}: median {statistics.median(values):.0f} forms/s "
                  f"({', '.join(f'{v:.0f}' for v in values)})")
    made = {"form": Submission, "petition": PetitionSignature, "pledge": Signature}[args.kind].objects.count()
    people = Person.objects.filter(given_name__startswith="Member").count()
    stored = args.forms * args.rounds + warm
    twice = EmailAddress.objects.values("address").annotate(n=Count("id")).filter(n__gt=1).count()
    print(f"{stored} forms, {made} {args.kind} acts, {people} people, {twice} addresses on two records"
          + ("" if made == people == stored and not twice else "  <-- MISMATCH"))


if __name__ == "__main__":
    Path(OUT).mkdir(parents=True, exist_ok=True)
    main()
