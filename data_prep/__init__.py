"""Converters of public datasets into did-ocr's standard layout (low/, high/, labels.csv, dataset.json).

Each module is a command, ``python -m data_prep.<name> --help``:

* ``lol``: LOL (our485/eval15 low/high PNG pairs);
* ``sid_sony``: SID Sony or Fuji short/long RAW pairs, decoded to 16-bit linear PNGs or copied;
* ``lowlight_xu``: the LowLight dataset of Xu et al. 2020 (input/ and gt/ folders);
* ``icdar``: ICDAR-style word annotations into labels.csv and boxes.jsonl (LOL-Text, SID-Sony-Text, ...);
* ``darken``: simulated dark captures of the well-lit images of a dataset.
"""
