# branchsite — `make run` to try it, `make test` to prove it. Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test lint messages check-messages deploy-check clean bench bench-smoke

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	test -f .env || printf '# Development only, read by manage.py (not by gunicorn, Celery or pytest).\nDJANGO_DEBUG=1\n' > .env
	touch $(STAMP)

run: $(STAMP)  ## virtualenv, install, migrate, demo data, serve on 127.0.0.1:$(PORT)
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py seed_demo
	@echo ""
	@echo "  branchsite: http://127.0.0.1:$(PORT)/"
	@echo "  logins: admin / organizer / secretary / member, password: $${DEMO_PASSWORD:-branchsite-demo}"
	@echo ""
	DJANGO_DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

# The suite runs in parallel, one pytest-xdist worker per CPU (TEST_WORKERS=0: in one process).
# Each worker has its own test database and Redis database (branchsite/settings.py).
# The 15 slowest tests are listed at the end of each run.
TEST_WORKERS ?= auto
test: $(STAMP)  ## the whole suite; PostgreSQL + real Celery worker when DATABASE_URL/REDIS_URL are set
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

messages: $(STAMP)  ## refresh zh_Hans .po from the code, then compile .mo
	DJANGO_DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

check-messages: $(STAMP)  ## fail when a string lacks its translation or the .mo is stale
	$(PY) .ci/check_messages.py

deploy-check: $(STAMP)  ## manage.py check --deploy with production-like settings
	DJANGO_DEBUG=0 DJANGO_SECRET_KEY=$$(head -c 48 /dev/urandom | base64) \
	DJANGO_ALLOWED_HOSTS=branchsite.example.org $(PY) manage.py check --deploy --fail-level WARNING

bench: $(STAMP)  ## scale benchmark, N = 1 000, 100 000 and 1 000 000, PostgreSQL + Redis (bench/README.md)
	$(PY) -m bench.run --snapshot $(BENCH_ARGS)

bench-smoke: $(STAMP)  ## the benchmark at N = 500, a few requests per page
	$(PY) -m bench.run --smoke $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
