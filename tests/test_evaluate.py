"""eval/evaluate.py on the sample report alone (no corpus): folds, report, plots."""
import json

from eval.evaluate import folds_by_document, main  # noqa: E402


def test_folds_never_split_a_document():
    rows = [{"doc": d} for d in "aabbbcdde"]
    folds = folds_by_document(rows, 2)
    assert sorted(d for f in folds for d in f) == list("abcde") and all(f for f in folds)
    assert folds_by_document(rows, "loro") == [{d} for d in "abcde"]


def test_baseline_cross_validation_report(tmp_path):
    main(["--systems", "baseline", "--folds", "loro", "--out", str(tmp_path)])
    report = json.loads((tmp_path / "report.json").read_text())
    r = report["systems"]["baseline"]
    assert report["n_sentences"] == 165 and report["n_documents"] == 5  # one report: 5 interleaved parts
    assert 0.0 < r["area_macro_f1"] < 1.0 and 0.0 < r["type_macro_f1"] < 1.0
    assert sum(map(sum, r["area_confusion"])) == 165
    assert set(r["type_per_class"]) >= {"none", "target", "macro avg"}
    assert (tmp_path / "baseline_area_confusion.png").stat().st_size > 1000
