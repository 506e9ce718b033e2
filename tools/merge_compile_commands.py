#!/usr/bin/env python3
"""Merges the compile_commands.json of the host build and the kernel build
into one (printed on stdout), so clangd sees every file with its real flags."""
import json
import os
import sys

merged = []
for directory in sys.argv[1:]:
    path = os.path.join(directory, "compile_commands.json")
    if os.path.exists(path):
        with open(path) as f:
            merged += json.load(f)
json.dump(merged, sys.stdout, indent=1)
