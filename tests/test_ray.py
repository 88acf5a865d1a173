"""``did-ocr read --ray``: the same texts as the single-process read, bad files as error rows, resumable output.

One local Ray (2 CPUs) for the module; the fast ``gain`` enhancer and one actor keep it quick.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from did_ocr.cli.main import cli
from did_ocr.errors import DidOcrError
from did_ocr.reading.distributed import COLUMNS, _read_jsonl, read_with_ray

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def rows_of(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A folder: the bundled night examples and one file that is not an image."""
    folder = tmp_path_factory.mktemp("photos")
    for png in sorted(EXAMPLES.glob("night_*.png")):
        shutil.copy(png, folder / png.name)
    (folder / "broken.png").write_bytes(b"not an image")
    return folder


@pytest.fixture(scope="module")
def single_process(photos):
    """path -> text (or None for a failed file) from the in-process ``read --json``."""
    result = run("read", photos, "--json", "-e", "gain")
    assert result.exit_code == 2, result.output  # broken.png fails
    return {d["file"]: (d.get("text") if "error" not in d else None) for d in json.loads(result.stdout)}


def test_ray_texts_equal_single_process_and_bad_file_is_an_error_row(local_ray, photos, single_process, tmp_path):
    out = tmp_path / "out.jsonl"
    result = run("read", "--ray", photos, "-o", out, "-e", "gain")
    assert result.exit_code == 2, result.output
    assert "4 rows written" in result.stdout and "1 error" in result.stdout
    rows = rows_of(out)
    assert sorted(r["path"] for r in rows) == sorted(single_process)
    for row in rows:
        assert list(row) == list(COLUMNS)
        if single_process[row["path"]] is None:
            assert Path(row["path"]).name == "broken.png" and row["error"] and row["text"] == ""
        else:
            assert row["error"] == "" and row["text"] == single_process[row["path"]]
            lines = json.loads(row["lines"])
            assert "\n".join(ln["text"] for ln in lines) == row["text"]
            assert set(json.loads(row["timings"])) >= {"load_s", "enhance_s", "ocr_s", "total_s"}
    assert any(single_process.values())  # the examples do hold text


def test_rerun_after_interruption_reads_every_path_exactly_once(local_ray, photos, single_process, tmp_path):
    out = tmp_path / "out.jsonl"
    first = run("read", "--ray", photos, "-o", out, "-e", "gain")
    assert first.exit_code == 2, first.output
    # an interrupted run: the first row made it, the second was torn while being written
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text(lines[0] + lines[1][: len(lines[1]) // 2], encoding="utf-8")
    again = run("read", "--ray", photos, "-o", out, "-e", "gain")
    assert again.exit_code == 2, again.output
    assert "3 rows written" in again.stdout and "(1 already there)" in again.stdout
    rows = rows_of(out)
    assert sorted(r["path"] for r in rows) == sorted(single_process)
    assert {r["path"]: r["text"] for r in rows if not r["error"]} == {
        p: t for p, t in single_process.items() if t is not None}
    # nothing left to do: nothing read, the error still counted
    done = run("read", "--ray", photos, "-o", out, "-e", "gain")
    assert done.exit_code == 2 and "0 rows written" in done.stdout and "(4 already there)" in done.stdout
    assert len(rows_of(out)) == 4


def test_parquet_output_and_list_file(local_ray, photos, single_process, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    good = sorted(p for p, t in single_process.items() if t is not None)
    listing = tmp_path / "list.txt"
    listing.write_text("# the good ones\n" + "\n".join(good[:2]) + "\n\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    result = run("read", "--ray", f"@{listing}", good[2], "-o", out, "-e", "gain")
    assert result.exit_code == 0, result.output
    table = pq.read_table(out).to_pylist()
    assert [r["path"] for r in table] == good  # input order
    assert all(r["text"] == single_process[r["path"]] and r["error"] == "" for r in table)
    assert not (tmp_path / "out.parquet.part.jsonl").exists()


def test_torn_tail_is_cut_and_a_bad_middle_line_refused(tmp_path):
    out = tmp_path / "o.jsonl"
    row = {c: "" for c in COLUMNS} | {"path": "a.png"}
    out.write_text(json.dumps(row) + "\n" + '{"path": "b.p', encoding="utf-8")
    assert [r["path"] for r in _read_jsonl(out)] == ["a.png"]
    assert out.read_text(encoding="utf-8") == json.dumps(row) + "\n"
    out.write_text("garbage\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(DidOcrError, match="line 1"):
        _read_jsonl(out)


def test_option_errors_are_one_line(tmp_path, photos):
    no_out = run("read", "--ray", photos, "-e", "gain")
    assert no_out.exit_code == 2 and "--ray needs -o/--output" in no_out.stderr
    bad_ext = run("read", "--ray", photos, "-o", tmp_path / "out.csv", "-e", "gain")
    assert bad_ext.exit_code == 2 and ".jsonl or .parquet" in bad_ext.stderr
    stray = run("read", photos, "-o", tmp_path / "out.jsonl", "-e", "gain")
    assert stray.exit_code == 2 and "only with --ray" in stray.stderr


def test_missing_ray_is_one_clear_error(tmp_path, photos, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    with pytest.raises(DidOcrError, match=r"pip install 'did-ocr\[ray\]'"):
        read_with_ray([str(photos / "broken.png")], tmp_path / "out.jsonl")


def test_an_actor_that_cannot_build_its_pipeline_stops_the_job_with_one_line(local_ray, photos, tmp_path):
    model = tmp_path / "bad.safetensors"
    model.write_bytes(b"garbage")
    out = tmp_path / "out.jsonl"
    result = run("read", "--ray", photos, "-o", out, "--model", model)
    assert result.exit_code == 2, result.output
    assert "not a readable did-ocr checkpoint" in result.stderr and "Traceback" not in result.output
    assert not out.exists() or rows_of(out) == []
