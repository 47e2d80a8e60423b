"""Count the images in which a face detector finds a face: MediaPipe's BlazeFace (short range), whose weights
ship inside the `mediapipe` wheel, so the check owes nothing to our own networks.

Runs in its own environment (its pins clash with ours): `make facecheck-env` makes `.venv-facecheck`, and
`python -m training.facecheck` calls this script there. Standard library and mediapipe only.

    .venv-facecheck/bin/python tools/detect_faces.py FOLDER [FOLDER ...] [--upscale 128] [--confidence 0.5]

Prints one JSON object: per folder, the number of images and how many have a face at or above the confidence.
Each image is enlarged (nearest-free, by OpenCV's area/cubic resize) to ``--upscale`` pixels first: BlazeFace's
input is 128 x 128 and it was trained on faces that fill a fair part of the frame.
"""

import argparse
import json
from pathlib import Path

import cv2
import mediapipe as mp


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--upscale", type=int, default=128)
    parser.add_argument("--confidence", type=float, default=0.5)
    args = parser.parse_args()
    result = {"detector": f"MediaPipe {mp.__version__} BlazeFace short range, min confidence {args.confidence}",
              "upscale": args.upscale}
    with mp.solutions.face_detection.FaceDetection(model_selection=0,
                                                   min_detection_confidence=args.confidence) as detector:
        for folder in args.folders:
            files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
            found = 0
            for path in files:
                bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
                rgb = cv2.cvtColor(cv2.resize(bgr, (args.upscale, args.upscale), interpolation=cv2.INTER_CUBIC),
                                   cv2.COLOR_BGR2RGB)
                found += bool(detector.process(rgb).detections)
            result[str(folder)] = {"images": len(files), "faces": found}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
