"""xhnlp.distributed: datasets (num_proc=2) and a local Ray instance give the labels of Tagger.tag."""
import pytest

DOCS = {
    "id": ["a", "b", "c"],
    "text": ["一、总体要求\n推动经济增长。力争新增绿地10公顷。\n",
             "深化零基预算改革。加快建设养老服务设施。",
             "二、重点任务\n推进城市更新，完成旧区改造5万平方米。扩大有效投资。\n"],
}


def expected(tagger):
    return [(doc, p.index, p.kind, p.area, p.type, p.section and " > ".join(p.section) or "")
            for doc, text in zip(DOCS["id"], DOCS["text"]) for p in tagger.tag(text, doc=doc)]


def got(rows):
    return [(r["doc"], r["index"], r["kind"], r["area"], r["type"], r["section"]) for r in rows]


def test_datasets_num_proc_2_gives_the_tagger_labels(baseline_tagger):
    datasets = pytest.importorskip("datasets")
    from xhnlp.distributed import tag_dataset

    ds = datasets.Dataset.from_dict(DOCS)
    pieces = tag_dataset(ds, "baseline", id_column="id", num_proc=2, batch_size=1)
    assert got(pieces) == expected(baseline_tagger)
    assert pieces.features["area_score"].dtype == "float64" and pieces.features["doc"].dtype == "string"

    sentences = [p.content for text in DOCS["text"] for p in baseline_tagger.tag(text).sentences]
    tagged = tag_dataset(datasets.Dataset.from_dict({"text": sentences}), "baseline", level="sentence",
                         probabilities=True)
    reference = baseline_tagger.tag_sentences(sentences)
    assert tagged["text"] == sentences
    assert tagged["area"] == [p.area for p in reference] and tagged["type"] == [p.type for p in reference]
    assert tagged[0]["p_area_economy"] == pytest.approx(reference[0].area_probs["economy"])


def test_ray_data_gives_the_tagger_labels(baseline_tagger):
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    from xhnlp.distributed import tag_ray_dataset

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        ds = ray.data.from_items([{"id": i, "text": t} for i, t in zip(DOCS["id"], DOCS["text"])])
        rows = tag_ray_dataset(ds, "baseline", id_column="id", batch_size=2).take_all()
    finally:
        ray.shutdown()
    rows.sort(key=lambda r: (r["doc"], r["index"]))  # Ray does not promise the order of blocks
    assert got(rows) == expected(baseline_tagger)


def test_missing_packages_and_bad_arguments(monkeypatch):
    import builtins

    from xhnlp import distributed

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ImportError, match=r'pip install "ray\[data\]"'):
        distributed.tag_ray_dataset(object(), "baseline")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="level"):
        distributed.output_columns("paragraph")
