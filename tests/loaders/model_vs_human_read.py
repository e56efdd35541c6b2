"""model-vs-human's loader on one data folder.

Always: a strict reader in Python's standard library, independent of shapelab's, for which every
`*.csv` directly in the folder must have the 8-column raw-data header and 8 fields a row. With
MODELVSHUMAN_CHECKOUT set to a checkout of github.com/bethgelab/model-vs-human (and pandas in
this Python), model-vs-human's own read_all_csv_files_from_directory (helper/plotting_helper.py)
reads the folder too and must read the same rows. A person is a subj starting with "subject-",
as its plotting code decides. Prints rows, subj codes and the subj codes taken for people's.
"""
import csv
import glob
import importlib
import os
import sys
import types

folder = sys.argv[1]
header = "subj,session,trial,rt,object_response,category,condition,imagename".split(",")
rows = []
for path in sorted(glob.glob(os.path.join(folder, "*.csv"))):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        first = next(reader)
        if first != header:
            sys.exit(f"{path}: header {first}")
        for row in reader:
            if len(row) != 8:
                sys.exit(f"{path}: row {row}")
            rows.append(row)
subjects = [row[0] for row in rows]

checkout = os.environ.get("MODELVSHUMAN_CHECKOUT")
if checkout:
    # The package's own __init__ imports torch and tensorflow: only its helper is loaded.
    package = types.ModuleType("modelvshuman")
    package.__path__ = [os.path.join(checkout, "modelvshuman")]
    sys.modules["modelvshuman"] = package
    helper = importlib.import_module("modelvshuman.helper.plotting_helper")
    df = helper.read_all_csv_files_from_directory(folder)
    theirs = [str(s) for s in df["subj"]]
    if theirs != subjects:
        sys.exit(f"model-vs-human read {len(theirs)} rows, the strict reader {len(subjects)}")

people = {s for s in subjects if s.startswith("subject-")}
print(len(rows), len(set(subjects)), len(people))
