# Two commands do everything on a fresh machine:
#   make lab    set up, then start JupyterLab on 127.0.0.1 (token) opened on the tour
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.mlpec-installed
PORT   ?= 8888
LAB_ARGS ?=
export OMP_NUM_THREADS ?= 1

.PHONY: setup lab test demo bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[test]"
	$(VENV)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --port=$(PORT) --no-browser \
	    --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/notebooks/00_tour.ipynb \
	    $(if $(filter 0,$(shell id -u)),--allow-root,) $(LAB_ARGS)

test: $(STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	MLPEC_QUICK=1 MLPEC_ARTIFACTS=1 $(PY) -m pytest -q

demo: $(STAMP)
	MLPEC_QUICK=1 $(VENV)/bin/mlpec-lab demo out/demo

bench: $(STAMP)
	$(PY) -m pip install -q -e ".[test,bench]"
	for b in bench_kernels bench_potential bench_battery time_to_live_md; do \
	    $(PY) benchmarks/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info out
