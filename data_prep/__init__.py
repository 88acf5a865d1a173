"""Dataset builders and converters into did-ocr's standard layout (low/, high/, labels.csv).

Each module is a command: ``python -m data_prep.<name> --help``.
"""
