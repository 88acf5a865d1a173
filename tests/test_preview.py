"""Pictures drawn by training and the synthetic generator: the training preview and the contact sheet."""

import numpy as np
from PIL import Image

from did_ocr.data.synth.sheet import contact_sheet
from did_ocr.imaging.grid import make_grid
from did_ocr.training.preview import save_preview
from tests.helpers import tiny_model, tiny_norm


def test_preview_shows_dark_reconstruction_and_well_lit_and_keeps_the_training_mode(tmp_path):
    model = tiny_model().train()
    save_preview(model, tiny_norm(), tmp_path / "preview.png", step=7, count=1)
    assert model.training  # the preview switches to eval and back
    grid = np.asarray(Image.open(tmp_path / "preview.png").convert("RGB"))
    assert grid.shape == (18 + 128 + 4, 3 * (256 + 4), 3)  # one row, three columns of 128x256 cells
    dark, _, well_lit = (grid[18:18 + 128, c * 260:c * 260 + 256] for c in range(3))
    assert well_lit.mean() > dark.mean() + 30  # the dark capture is shown as stored, not brightened


def test_contact_sheet_has_a_row_per_level_and_the_clean_row(tmp_path):
    from did_ocr.data.levels import LEVELS

    contact_sheet(tmp_path / "sheet.png", seed=0, samples=1)
    sheet = np.asarray(Image.open(tmp_path / "sheet.png").convert("RGB"))
    assert sheet.shape == (18 + (1 + len(LEVELS)) * (96 + 4), 150 + 2 * (192 + 4), 3)


def test_grid_letterboxes_cells_and_leaves_missing_ones_empty():
    tall = np.full((40, 10, 3), 200, np.uint8)
    grid = make_grid([[tall, None]], ["a", "b"], cell=(20, 20))
    cell, empty = grid[18:38, 0:20], grid[18:38, 24:44]
    assert (cell[:, 10] == 200).all() and (cell[:, 0] == 24).all()  # 5 pixels wide, centred on grey
    assert (empty == 12).all()
