"""Peer for benches/compare.rs: shape bias and accuracy per observer with pandas.

Reads every raw-data CSV under a folder (not *.timing.csv), groups rows by (folder, subj),
and computes shape bias over cue-conflict trials and 16-class accuracy. Prints the seconds
taken and the number of observers.
"""
import glob
import os
import sys
import time

import pandas as pd

root = sys.argv[1]
start = time.perf_counter()
frames = []
for path in glob.glob(os.path.join(root, "**", "*.csv"), recursive=True):
    if path.endswith(".timing.csv"):
        continue
    frame = pd.read_csv(path)
    frame["source"] = os.path.basename(os.path.dirname(path))
    frames.append(frame)
rows = pd.concat(frames, ignore_index=True)
last = rows["imagename"].str.rsplit("_", n=1).str[-1]
texture = last.str.split("-").str[1].str.replace(r"\..*$", "", regex=True).str.replace(r"[0-9]", "", regex=True)
rows["correct"] = rows["object_response"] == rows["category"]
conflict = rows[texture.notna() & (texture != rows["category"])].copy()
conflict["shape"] = conflict["object_response"] == conflict["category"]
conflict["texture"] = conflict["object_response"] == texture[conflict.index]
counts = conflict.groupby(["source", "subj"])[["shape", "texture"]].sum()
shape_bias = counts["shape"] / (counts["shape"] + counts["texture"])
accuracy = rows.groupby(["source", "subj"])["correct"].mean()
elapsed = time.perf_counter() - start
print(f"{elapsed:.6f} {len(accuracy)} {len(shape_bias)}")
