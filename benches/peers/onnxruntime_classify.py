"""Peer for benches/classify.rs: EfficientNet-Lite0 on the cue-conflict images with onnxruntime.

Same preprocessing as shapelab's inception preset ((x - 127) / 128 on raw RGB), batch size 1,
`threads` intra-op threads. Prints images per second and the number of images.
"""
import glob
import os
import sys
import time

import numpy as np
import onnxruntime as ort
from PIL import Image

model, stimuli, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
paths = sorted(glob.glob(os.path.join(stimuli, "*", "*.png")))
start = time.perf_counter()
for path in paths:
    x = (np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) - 127.0) / 128.0
    session.run(None, {"input": x.transpose(2, 0, 1)[None]})
elapsed = time.perf_counter() - start
print(f"{len(paths) / elapsed:.3f} {len(paths)}")
