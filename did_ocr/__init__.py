"""did-ocr: read text from photos taken in the dark.

A dark capture is reconstructed by "Diffusion in the Dark" (DiD, a multi-scale,
patch-trained conditional diffusion model) and then read by EasyOCR.

This module must stay import-light: ``did-ocr --version`` imports it and must
answer without loading torch.
"""

__version__ = "0.1.0"
