# Turnout — every target creates .venv when it is missing, then runs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/turnout_test
PYTEST_ARGS ?=
# Tests run on every core, a test file to a process (its class fixtures are built once).
XDIST ?= -n auto --dist loadfile
# The future the suite is run in a second time (tests own their clock; none may depend on today).
FUTURE ?= @2028-03-12 08:00:00
# Tests left out under faketime (each still runs in the two real-clock runs): their RQ worker
# waits on a threading.Event with a timeout, and under Debian's libfaketime with Python 3.13
# such a wait sometimes never ends (time.sleep does).
REAL_CLOCK_ONLY = --deselect turnout/site/tests/test_worker.py::WorkerProcessTests::test_the_redis_worker_runs_the_same_task \
	--deselect turnout/api/tests/test_webhooks.py::WorkerProcessRetryTests::test_redis_worker_retries_when_due \
	--deselect turnout/events/tests/test_confirm_first.py::ConfirmBeforeSendingTests::test_the_redis_worker_writes_waiting_confirmations_before_sending_an_earlier_batch

# The first Python >= 3.12 on this machine: PATH names, then pyenv's installs.
FIND_PYTHON = for p in python3.13 python3.12 python3.14 python3 $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	command -v $$p; break; fi; done

.PHONY: demo test test-postgres test-browser test-fast test-future test-integration lint chromium axe bench bench-api bench-outbox bench-events bench-forms bench-mobilize bench-organizing bench-texting bench-calling bench-doors clean messages

$(STAMP): pyproject.toml
	@boot="$$($(FIND_PYTHON))"; \
	if [ -z "$$boot" ]; then echo "Turnout needs Python 3.12 or newer; none was found on PATH or in ~/.pyenv/versions." >&2; exit 1; fi; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$boot"; "$$boot" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/turnout demo $(if $(PORT),--port $(PORT))

# Debian's Chromium drives the browser tests; nothing downloads a browser of its own.
# DejaVu Sans sets union cards' PDFs (any accent, exactly as signed); faketime moves the clock
# for `make test-future`.
chromium:
	@if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || ! command -v faketime >/dev/null; then \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core faketime >/dev/null; \
	else echo "Tests need Debian's chromium, fonts-dejavu-core and faketime: sudo apt-get install chromium fonts-dejavu-core faketime" >&2; exit 1; fi; fi

# axe-core (from npm, pinned by package-lock.json) checks public pages in the browser tests;
# it is read from node_modules/, never fetched by a page. Debian's nodejs and npm install it.
axe:
	@if [ ! -f node_modules/axe-core/axe.min.js ]; then \
	if ! command -v npm >/dev/null; then \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	else echo "Tests need npm to install axe-core: sudo apt-get install nodejs npm" >&2; exit 1; fi; fi; \
	npm ci --no-audit --no-fund --silent; fi

test: $(STAMP) chromium axe
	$(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(VENV)/bin/pytest $(XDIST) -m "not browser" $(PYTEST_ARGS)

test-browser: $(STAMP) chromium axe
	$(VENV)/bin/pytest $(XDIST) -m browser $(PYTEST_ARGS)

test-postgres: $(STAMP) chromium axe
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest $(XDIST) $(PYTEST_ARGS)

# The fast suite again with the clock years ahead.
test-future: $(STAMP) chromium
	FAKETIME_DONT_RESET=1 faketime -f '$(FUTURE)' $(VENV)/bin/pytest $(XDIST) -m "not browser" $(REAL_CLOCK_ONLY) $(PYTEST_ARGS)

# Parsons and osdi against a live server, and the schemathesis fuzz (also part of `make test`).
test-integration: $(STAMP)
	$(VENV)/bin/pytest -m integration $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy turnout
	$(VENV)/bin/lint-imports

messages: $(STAMP)
	cd turnout && ../$(VENV)/bin/turnout makemessages -l es --no-obsolete && ../$(VENV)/bin/turnout compilemessages

# Benchmarks are run by hand (minutes each); figures go in docs/performance.md.
BENCH_ROWS ?= 1000000
bench: $(STAMP)
	for engine in sqlite postgres; do \
	$(PY) benchmarks/bench_import.py --engine $$engine --rows $(BENCH_ROWS) && \
	$(PY) benchmarks/bench_near.py --engine $$engine --people $(BENCH_ROWS) || exit 1; done

# Messaging: materialize 100,000 deliveries, dispatch 20,000 to a loopback gateway in-process;
# then through the real workers: throughput, 20 paced senders, and a worker killed mid-send.
bench-outbox: $(STAMP)
	for engine in sqlite postgres; do \
	$(PY) benchmarks/bench_outbox.py --engine $$engine --people 100000 --dispatch 20000 || exit 1; done
	$(PY) benchmarks/bench_dispatch.py --engine sqlite --texts 20000
	$(PY) benchmarks/bench_dispatch.py --engine postgres --texts 20000 --workers 2
	$(PY) benchmarks/bench_dispatch.py --engine sqlite --texts 600 --senders 20 --rate 1
	$(PY) benchmarks/bench_dispatch.py --engine postgres --texts 600 --senders 20 --rate 1 --workers 2
	$(PY) benchmarks/bench_dispatch.py --engine sqlite --texts 100000 --kill-after 5
	$(PY) benchmarks/bench_dispatch.py --engine postgres --texts 100000 --workers 2 --kill-after 5
	$(PY) benchmarks/bench_dispatch.py --engine sqlite --texts 20000 --kill-at 5100
	$(PY) benchmarks/bench_dispatch.py --engine postgres --texts 20000 --kill-at 5100

# Events: public RSVP posts from 50 clients for 60 s against `turnout serve`, beside /health.
bench-events: $(STAMP)
	for engine in sqlite postgres; do $(PY) benchmarks/bench_rsvp.py --engine $$engine --seconds 60 --worker after || exit 1; done

# Public forms: sign-up submissions from 50 clients for 60 s against `turnout serve`, beside /health.
bench-forms: $(STAMP)
	for engine in sqlite postgres; do $(PY) benchmarks/bench_forms.py --engine $$engine --seconds 60 || exit 1; done

# Rapid mobilization: activating 100,000 members, replies at 200/s, a trigger over 300 sites.
bench-mobilize: $(STAMP)
	$(PY) benchmarks/bench_activation.py --engine postgres --members 100000
	$(PY) benchmarks/bench_trigger.py --engine postgres

# Organizing: the campaign roll-up over 600 shops and 15,000 workers.
bench-organizing: $(STAMP)
	for engine in postgres sqlite; do $(PY) benchmarks/bench_organizing.py --engine $$engine || exit 1; done

# Peer-to-peer texting: a campaign of 1,000,000 contacts set up, batches of 500, the texter's click.
bench-texting: $(STAMP)
	$(PY) benchmarks/bench_texting.py --engine postgres --contacts 1000000
	$(PY) benchmarks/bench_texting.py --engine sqlite --contacts 100000 --batches 40 --sends 200
	$(PY) benchmarks/bench_texting_load.py --texters 60 --seconds 40 --contacts 20000
	$(PY) benchmarks/bench_texting_load.py --texters 500 --seconds 40 --ramp 20 --contacts 40000

# Phone banks: 200 callers through the server, "next contact" and "save result".
bench-calling: $(STAMP)
	$(PY) benchmarks/bench_calling_load.py --callers 200 --seconds 60

# Door knocking: 100,000 households cut into turfs; 500 offline results synced, and synced again.
bench-doors: $(STAMP)
	$(PY) benchmarks/bench_doors.py --engine postgres --households 100000 --rounds 3

# The API: paging through 100,000 people, and signups under 20 concurrent clients.
bench-api: $(STAMP)
	for engine in sqlite postgres; do \
	$(PY) benchmarks/bench_api_paging.py --engine $$engine --people 100000 && \
	$(PY) benchmarks/bench_api_signup.py --engine $$engine --requests 2000 || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache node_modules
