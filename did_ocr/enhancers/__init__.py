"""Enhancers: interchangeable steps that turn a dark capture into a readable image."""

from did_ocr.enhancers.base import Enhancer
from did_ocr.enhancers.catalog import available_enhancers, build_enhancer, register

__all__ = ["Enhancer", "available_enhancers", "build_enhancer", "register"]
