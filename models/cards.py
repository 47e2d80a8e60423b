"""Model cards: for each task, the measures it is judged by (with which way is better), read from the manifest.

The home page shows one card per task from ``TASKS``; ``training`` and ``dataset_name`` also serve the README's
tables (``python -m models table``). No Keras here.
"""

from pathlib import PurePath

# Public names of the data sets, by a word their paths or descriptions contain (first match wins).
DATASETS = [("mnist", "MNIST"), ("cifar10", "CIFAR-10"), ("shoes_human", "Sketch Me That Shoe (QMUL Shoe V1)"),
            ("shoes", "Fashion Product Images: casual shoes"), ("faces", "All-Age-Faces"),
            ("sr/", "BSDS500 + ImageNet sample photos"), ("div2k", "DIV2K")]


def dataset_name(text):
    """'../shared/data/sr/train (650 photos)' -> 'BSDS500 + ImageNet sample photos (650 photos)': a data set's
    public name and size, never a server path."""
    text = str(text or "")
    if "/" not in text and "\\" not in text:
        return text or "unknown"  # already a description, e.g. 'MNIST train, 60,000 digits (mnist.npz)'
    size = text[text.index("("):] if "(" in text else ""
    for word, name in DATASETS:
        if word in text.replace("\\", "/").lower():
            return f"{name} {size}".strip()
    first = text.split(" ")[0]
    return f"{PurePath(first).name or 'unknown'} {size}".strip()


def lineage(entry):
    """The manifest entry and the models it was fine-tuned from (``init_model``, nested), oldest first."""
    chain = [entry]
    while "steps" in (chain[0].get("init_model") or {}):
        chain.insert(0, chain[0]["init_model"])
    return chain


def training(entry):
    """'20,000 + 5,000 steps x 8, 346 min' (or '15,000 x 16 + 2,000 x 8 steps, ...' when the batch sizes
    differ): the whole lineage, counting the models a fine-tune started from (``init_model``, nested)."""
    chain = lineage(entry)
    timed = [e["train_time_s"] for e in chain if e.get("train_time_s") is not None]
    # a model exported without its training time (the face reader) says so, not "0 min"
    minutes = f"{sum(timed) / 60:.0f} min" if len(timed) == len(chain) else "time not recorded"
    batches = {e.get("batch_size", "?") for e in chain}
    if len(batches) == 1:
        steps = " + ".join(f"{e.get('steps', 0):,}" for e in chain)
        return f"{steps} steps x {batches.pop()}, {minutes}"
    steps = " + ".join(f"{e.get('steps', 0):,} x {e.get('batch_size', '?')}" for e in chain)
    return f"{steps} steps, {minutes}"


def _pct(key):
    return lambda m: f"{m[key]:.1%}" if isinstance(m.get(key), (int, float)) else "–"


def _num(key, fmt="{:.3g}"):
    return lambda m: fmt.format(m[key]) if isinstance(m.get(key), (int, float)) else "–"


def _shares(m):
    hist = m.get("class_histogram")
    return f"{min(hist):.1%} to {max(hist):.1%}" if hist else "–"


def _vs(key, base, fmt="{:.3g}"):
    """'value (baseline)'."""
    return lambda m: (f"{fmt.format(m[key])} ({fmt.format(m[base])})"
                      if isinstance(m.get(key), (int, float)) and isinstance(m.get(base), (int, float)) else "–")


def _vs2(group, base_group, key, fmt):
    """'value (baseline)' from two nested groups of metrics."""
    def cell(m):
        a, b = m.get(group, {}).get(key), m.get(base_group, {}).get(key)
        return f"{fmt.format(a)} ({fmt.format(b)})" if a is not None and b is not None else "–"
    return cell


def _gain(metrics_key, fmt="{:+.2f} dB"):
    return lambda e: (fmt.format(e[metrics_key]["psnr"] - e[metrics_key]["bicubic_psnr"])
                      if "psnr" in e.get(metrics_key, {}) else "–")


# task -> heading, what the measures mean, and columns: (header, function of the entry's metrics -> text)
# A column function whose header starts with "entry:" gets the whole entry instead.
TASKS = {
    "digits": {
        "title": "Handwritten digits",
        "explain": "Scored by our digit judge (a CNN classifier, 99.1% on MNIST test) on 10,000 samples. "
                   "Recognised: read as the digit asked for (conditional models). Confident: read with probability "
                   "at least 0.9 (real test digits: 97.7%). Digit shares: least and most frequent digit (fair: 10% "
                   "each). Fréchet: distance to real digits in the judge's features (the floor is real test vs "
                   "real train digits).",
        "columns": [("recognised ↑", _pct("recognised")), ("confident ↑", _pct("confident")),
                    ("digit shares (10% each is fair)", _shares),
                    ("Fréchet ↓ (floor)", _vs("frechet", "frechet_floor", "{:.1f}"))]},
    "sr": {
        "title": "Super-resolution x4",
        "explain": "On 50 held-out photos (faces: 500 faces), reduced 4x and enlarged back, against the original: "
                   "Y-PSNR gain over bicubic (higher is better) on clean reductions and on degraded ones (sensor "
                   "noise on half, JPEG at quality 30 to 70: what people upload); SSIM (higher is better, bicubic "
                   "in brackets); mesh: power on the upsampler's 4-pixel grid over its surroundings (1.0 is none, "
                   "higher shows an invented dot pattern).",
        "columns": [("entry:PSNR gain, clean ↑", _gain("metrics")),
                    ("entry:PSNR gain, degraded ↑", _gain("metrics_degraded")),
                    ("SSIM ↑ (bicubic)", _vs("ssim", "bicubic_ssim", "{:.3f}")),
                    ("mesh ↓ (1.0 = none)", _num("mesh", "{:.2f}"))]},
    "pix2pix": {
        "title": "Sketch to photo",
        "explain": "On held-out photos' sketches, the output against the real photo: L1 (lower is better; in "
                   "brackets the mean training photo, a fixed guess), SSIM (higher is better), and the Fréchet "
                   "distance to real photos as a share of the mean photo's (lower is better); mesh: power on "
                   "the 2-pixel grid over its surroundings (real photos in brackets; higher shows a checkerboard).",
        "columns": [("L1 ↓ (mean photo)", _vs("l1", "mean_photo_l1", "{:.3f}")),
                    ("SSIM ↑ (mean photo)", _vs("ssim", "mean_photo_ssim", "{:.3f}")),
                    ("Fréchet share of baseline ↓", _num("frechet_share_of_baseline", "{:.3f}")),
                    ("mesh ↓ (real photos)", _vs("checkerboard", "checkerboard_real", "{:.2f}"))]},
    "images": {
        "title": "Image GANs",
        "explain": "Fréchet distance of 10,000 samples to the training images in SqueezeNet features (lower is "
                   "better; not comparable with published FIDs, which use InceptionV3). Floor: real held-out images; "
                   "baseline: training images blurred. CIFAR-10 models also: the distance to the 10,000 test images "
                   "at 224 px (floor: real training images), the share of samples our CIFAR-10 judge (85% on "
                   "the test images; real test images: 68%) reads with confidence, and for a class-conditional "
                   "model the share it reads as the class asked for.",
        "columns": [("Fréchet ↓", _num("frechet", "{:,.0f}")),
                    ("floor (real held-out)", _num("frechet_real_test_vs_train", "{:,.0f}")),
                    ("baseline (blurred)", _num("frechet_blurred_train", "{:,.0f}")),
                    ("to the test images, 224 px ↓ (floor)", _vs("frechet_test", "frechet_test_real_train", "{:,.0f}")),
                    ("judged confidently ↑", _pct("judge_confident")),
                    ("recognised as the class asked ↑", _pct("recognised"))]},
    "attributes": {
        "title": "The face attribute reader",
        "explain": "The CNN that reads a face's age and gender, used to find the face GAN's age and gender "
                   "directions and to measure them; scored on the 500 held-out face photos (in brackets: always "
                   "guessing the median age, or the more common gender).",
        "columns": [("age error ↓ (years; baseline)", _vs2("val", "val_baseline", "age_mae_years", "{:.1f}")),
                    ("gender accuracy ↑ (baseline)", _vs2("val", "val_baseline", "gender_accuracy", "{:.1%}"))]},
    "classifier": {
        "title": "The judges",
        "explain": "The CNN classifiers that score the generators' samples: the digit judge for the digit models, "
                   "the CIFAR-10 judge for the image GANs. Each was trained on real images only and plays no part "
                   "in any generator's loss or checkpoint choice.",
        "columns": [("test accuracy ↑", _pct("test_accuracy")),
                    ("real test images read confidently", _pct("real_test_confident"))]},
}


def card_rows(task, entries):
    """Rows (dicts of display text) of ``task``'s card for ``entries`` (name -> manifest entry)."""
    spec = TASKS[task]
    rows = []
    for name, entry in entries.items():
        if entry.get("task") != task:
            continue
        metrics = entry.get("metrics", {})
        row = {"model": f"{entry.get('title', name)} ({name})", "data": dataset_name(entry.get("dataset")),
               "parameters": f"{entry.get('params', 0):,}", "training": training(entry)}
        for header, cell in spec["columns"]:
            whole = header.startswith("entry:")
            row[header.removeprefix("entry:")] = cell(entry if whole else metrics)
        rows.append(row)
    return rows
