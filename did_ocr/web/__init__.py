"""The local web page of ``did-ocr serve``: a FastAPI app on the read pipeline and its static page."""
