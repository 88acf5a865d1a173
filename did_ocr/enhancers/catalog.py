"""The built-in enhancers, registered lazily by name (modules load only when used)."""

from did_ocr.enhancers.base import register

# What `read` and `enhance` use without --enhancer: DiD with the model shipped in did_ocr/weights/.
DEFAULT_ENHANCER = "did"

# How DiD samples (did_ocr.enhancers.did.QUALITIES), from the cheapest: one denoiser evaluation per window,
# a short sampler from the previous scale's estimate at the upper scales, the published 18 Heun steps everywhere.
# The default is the one that read the most words on the benchmark (README, Results); it is also the cheapest.
QUALITY_NAMES = ("onestep", "fast", "full")
DEFAULT_QUALITY = "onestep"

# DiD (diffusion) and its ablations come first.
register("did", "did_ocr.enhancers.did:make_did")
register("did-fast", "did_ocr.enhancers.did:make_did_fast")
register("did-full", "did_ocr.enhancers.did:make_did_full")
register("did-noilvr", "did_ocr.enhancers.did:make_did_noilvr")
register("did-single", "did_ocr.enhancers.did:make_did_single")
register("did-1step", "did_ocr.enhancers.did:make_did_1step")
register("did-nonorm", "did_ocr.enhancers.did:make_did_nonorm")
# Classical baselines.
register("none", "did_ocr.enhancers.classical:NoEnhancer")
register("gain", "did_ocr.enhancers.classical:GainEnhancer")
register("gamma", "did_ocr.enhancers.classical:GammaEnhancer")
register("he", "did_ocr.enhancers.classical:HistEqEnhancer")
register("clahe", "did_ocr.enhancers.classical:ClaheEnhancer")
register("nlm", "did_ocr.enhancers.classical:NlmEnhancer")
