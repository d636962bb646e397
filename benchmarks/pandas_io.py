"""The I/O baseline: a bare pandas read_csv + to_csv of the same file. Used by report_scale.py."""

import sys

import pandas as pd

frame = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
frame.to_csv(sys.argv[2], index=False)
