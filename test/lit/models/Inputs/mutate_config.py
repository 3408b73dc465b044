#!/usr/bin/env python3
"""Writes a variant of a JSON config to stdout, for config-validation tests.

usage: mutate_config.py BASE.json EDIT...
  key=JSON       set a field (value parsed as JSON)
  -key           delete a field
  old>new        rename a field (released name -> Hugging Face name)
"""
import json
import sys

config = json.load(open(sys.argv[1]))
for edit in sys.argv[2:]:
    if edit.startswith("-"):
        config.pop(edit[1:])
    elif ">" in edit:
        old, new = edit.split(">", 1)
        value = config.pop(old)
        if new.startswith("rope_scaling."):
            config.setdefault("rope_scaling", {})[new.split(".", 1)[1]] = value
        else:
            config[new] = value
    else:
        key, value = edit.split("=", 1)
        config[key] = json.loads(value)
json.dump(config, sys.stdout, indent=1)
