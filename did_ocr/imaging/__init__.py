"""Picture helpers shared by the benchmark, training and the synthetic data (grids of labelled images).

Below ``bench``, ``training`` and ``data``, so that each can draw pictures
without importing another.
"""
