"""Reading photos end to end: the pipeline (load, enhance, read, consensus), the Python API, annotated pictures.

Nothing is imported here, so that importing a submodule stays as light as that submodule.
"""
