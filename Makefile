# GAN Studio. `make run` sets everything up and starts the app; `make test` sets everything up and runs
# every test (unit, Streamlit AppTest, real browser). Both are safe to run again.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
DATA   ?= ../shared/data
PYTEST_ARGS ?=

.PHONY: run test setup setup-dev browser train-digits bench screenshots facecheck-env clean-venv

run: setup
	$(BIN)/streamlit run app.py --server.port $(PORT)

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
test: setup-dev browser
	$(BIN)/ruff check .
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

# The browser tests drive Debian's chromium with Playwright (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Retrain every shipped digit model (resumes where a previous run stopped) and export into weights/.
train-digits: setup
	$(BIN)/python -m training.digits judge --data $(DATA)/mnist.npz --export
	$(BIN)/python -m training.digits --variant gan --data $(DATA)/mnist.npz --steps 60000 --ema 0.9995 --export
	$(BIN)/python -m training.digits --variant cgan --data $(DATA)/mnist.npz --steps 32000 --ema 0.9995 --export
	# dcgan in three parts of one run: 24,000 steps (the rate decays over the last 8,000), then twice 8,000 more from 1e-4
	$(BIN)/python -m training.digits --variant dcgan --data $(DATA)/mnist.npz --steps 24000 --decay-steps 8000 --ema 0.9995 --jit
	$(BIN)/python -m training.digits --variant dcgan --data $(DATA)/mnist.npz --steps 32000 --decay-steps 8000 --lr 1e-4 --ema 0.9995 --jit
	$(BIN)/python -m training.digits --variant dcgan --data $(DATA)/mnist.npz --steps 40000 --decay-steps 8000 --lr 1e-4 --ema 0.9995 --jit --export
	$(BIN)/python -m training.digits --variant cdcgan --data $(DATA)/mnist.npz --steps 18000 --ema 0.9995 --jit --export

# The README's screenshots: every page with the shipped models, as the browser tests take them.
screenshots: setup-dev browser
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_browser.py -k for_the_readme
	cp screenshots/readme/*.png docs/screenshots/

bench: setup-dev browser
	$(BIN)/python -m benchmarks.digits
	$(BIN)/python -m benchmarks.load
	$(BIN)/python -m benchmarks.sr
	$(BIN)/python -m benchmarks.pix2pix --browser
	$(BIN)/python -m benchmarks.images
	$(BIN)/python -m benchmarks.settle
	$(BIN)/python -m benchmarks.hostile

# The face-detector check (python -m training.facecheck) runs MediaPipe's BlazeFace in an environment of its own:
# mediapipe's pins (numpy, protobuf) clash with TensorFlow's.
facecheck-env: .venv-facecheck/.installed
.venv-facecheck/.installed: requirements-facecheck.txt
	$(PYTHON) -m venv .venv-facecheck
	.venv-facecheck/bin/python -m pip install -q -r requirements-facecheck.txt
	touch $@

clean-venv:
	rm -rf $(VENV)
