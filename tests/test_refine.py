"""Words of photos enhanced on a reduced copy are read again from full-resolution enhancements of their regions."""

import cv2
import numpy as np

from did_ocr.capture.colorspace import srgb_to_linear
from did_ocr.enhancers.classical import GainEnhancer
from did_ocr.ocr import OcrWord
from did_ocr.reading.pipeline import Pipeline
from did_ocr.reading.refine import context_rect, merge_regions, refine_words
from tests.helpers import render_text


class ReducedGain(GainEnhancer):
    """``gain`` on a copy capped at ``max_side`` and scaled back: what DiD does to a large photo, without DiD's cost."""

    name = "gain-reduced"

    def __init__(self, max_side: int) -> None:
        self.max_side = max_side
        self.calls: list[tuple[int, ...]] = []

    def working_scale(self, shape):
        return min(1.0, self.max_side / max(shape[:2]))

    def enhance(self, linear_rgb, seed=0):
        self.calls.append(linear_rgb.shape)
        h, w = linear_rgb.shape[:2]
        f = min(1.0, self.max_side / max(h, w))
        small = cv2.resize(linear_rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
        return cv2.resize(super().enhance(small, seed), (w, h), interpolation=cv2.INTER_CUBIC)


def small_print_photo():
    """A 1200x400 dark photo with 24-px print in the middle: legible at full size, not at a quarter of it."""
    canvas = np.full((400, 1200, 3), 225, np.uint8)
    canvas[100:196, 300:620] = render_text("CAFE OPEN", size=(96, 320), font_size=24)
    return srgb_to_linear(canvas.astype(np.float32) / 255) * 0.05


def test_regions_get_context_inside_the_image_and_overlapping_ones_merge():
    assert context_rect((100, 50, 200, 70), (400, 1200)) == (80, 30, 220, 90)  # 1x the 20-px height
    assert context_rect((2, 2, 10, 6), (400, 1200)) == (0, 0, 26, 22)  # at least 16 px, clipped at 0
    assert context_rect((1190, 390, 1199, 399), (400, 1200)) == (1174, 374, 1200, 400)
    regions = merge_regions([(0, 0, 10, 10), (50, 50, 60, 60), (8, 8, 20, 20), (19, 0, 30, 5)])
    assert [(r.rect, sorted(r.members)) for r in regions] == [((0, 0, 30, 20), [0, 2, 3]), ((50, 50, 60, 60), [1])]


def test_refinement_reads_each_region_at_full_resolution_and_keeps_boxes():
    class Recorder:
        recognizer_height = 64

        def recognize_box(self, srgb, box):
            x0, x1, y0, y1 = box
            return OcrWord(text=f"{srgb.shape[1]}x{srgb.shape[0]}@{x0},{y0}", confidence=0.5, box=[])

    words = [OcrWord("a", 0.9, [[100, 50], [200, 50], [200, 70], [100, 70]]),
             OcrWord("b", 0.9, [[210, 52], [260, 52], [260, 68], [210, 68]]),
             OcrWord("c", 0.9, [[700, 300], [740, 300], [740, 310], [700, 310]]),
             OcrWord("big", 0.9, [[400, 100], [900, 100], [900, 230], [400, 230]])]  # 130 px: 65 at scale 0.5
    enhancer = ReducedGain(600)
    out, seconds = refine_words(words, np.full((400, 1200, 3), 0.01, np.float32), enhancer, Recorder(), 0.5)
    # a and b share one region (80..276 x 30..90), enhanced once; c has its own; "big" is tall enough already
    assert enhancer.calls == [(60, 196, 3), (42, 72, 3)]
    assert [w.text for w in out] == ["196x60@20,20", "196x60@130,22", "72x42@16,16", "big"]
    assert [w.box for w in out] == [w.box for w in words] and set(seconds) == {"enhance_s", "ocr_s"}


def test_small_print_lost_on_a_reduced_copy_is_read_at_full_resolution(ocr_reader):
    photo = small_print_photo()
    coarse = Pipeline(ReducedGain(300), ocr_reader, refine=False).read(photo)
    refined = Pipeline(ReducedGain(300), ocr_reader).read(photo)
    assert coarse.text.upper() != "CAFE OPEN" and coarse.words  # found, but misread at a quarter of the size
    assert refined.text.upper() == "CAFE OPEN"
    assert [w.box for w in refined.words] == [w.box for w in coarse.words]
    # an enhancer that works on the whole photo is not refined: one enhancement
    whole = ReducedGain(2000)
    Pipeline(whole, ocr_reader).read(photo)
    assert len(whole.calls) == 1


def test_did_is_refined_only_where_it_reconstructs_a_reduced_copy(tiny_model_path):
    from did_ocr.enhancers.did import DidEnhancer

    did = DidEnhancer(model=tiny_model_path, device="cpu", max_side=64)
    assert did.working_scale((128, 40, 3)) == 0.5 and did.working_scale((64, 64, 3)) == 1.0
    assert DidEnhancer(model=tiny_model_path, device="cpu", max_side=0).working_scale((4000, 3000, 3)) == 1.0
    assert GainEnhancer().working_scale((4000, 3000, 3)) == 1.0


def test_refine_can_be_turned_off_from_the_api_and_the_command(ocr_reader):
    from click.testing import CliRunner

    from did_ocr import Reader
    from did_ocr.cli.main import cli

    assert Reader(enhancer="gain", device="cpu").pipeline.refine
    assert not Reader(enhancer="gain", device="cpu", refine=False).pipeline.refine
    help_text = CliRunner().invoke(cli, ["read", "--help"]).output
    assert "--refine / --no-refine" in help_text
