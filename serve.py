"""Start GAN Studio: ``python serve.py [streamlit options]`` is ``streamlit run app.py [options]`` with a head start.

Importing TensorFlow takes about 3.5 s here and the digit models another second to load and trace. Under plain
``streamlit run`` that work starts only when the first visitor's page runs; here a background thread starts it
with the server, so it overlaps with the server starting and the visitor's browser loading the page. The page
code is unchanged: it imports the same modules and finds the models already in the per-process cache.
"""

import logging
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
log = logging.getLogger("gan_studio")


def warm_up():
    t0 = time.perf_counter()
    from models import inference  # noqa: PLC0415  (the slow import, off the main thread)
    log.info("warm-up: TensorFlow imported in %.1f s", time.perf_counter() - t0)
    names = inference.warm_up()
    log.info("warm-up: %s ready %.1f s after start", ", ".join(names) or "no models", time.perf_counter() - t0)


def main(argv=None):
    from streamlit.web import cli  # noqa: PLC0415

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
