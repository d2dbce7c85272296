# helpdesk-kb — `make run` serves the portal, `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
HOST   ?= 127.0.0.1
PORT   ?= 5000
WORKERS ?= 2
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run dev test init bench eval clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "需要 Python 3.11 或更高版本")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

init: $(STAMP)
	@# bytecode of our own modules, written even under PYTHONDONTWRITEBYTECODE: otherwise every
	@# gunicorn start compiles ~130 modules again (0.2-0.3 CPU-s of "worker ready", issue 15)
	@$(BIN)/python -m compileall -q app indexer wsgi.py > /dev/null
	$(BIN)/flask --app wsgi kb init

run: export KB_BASE_URL ?= http://$(HOST):$(PORT)
run: init
	@echo "知识库门户：http://$(HOST):$(PORT)/  （另有一个邮件 worker；Ctrl+C 一起停止）"
	$(BIN)/python -m app.worker.supervise -- \
		$(BIN)/gunicorn -c python:app.serving.gunicorn_conf --workers $(WORKERS) --bind $(HOST):$(PORT) wsgi:app

dev: init
	$(BIN)/flask --app wsgi run --debug --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

eval: init
	$(BIN)/flask --app wsgi kb eval

bench: $(STAMP)
	$(BIN)/python bench/search.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
