from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus folder absent (as on a user's machine)")
def test_no_corpus_sentence_is_committed():

    from eval.check_no_corpus_text import find_hits

    hits = find_hits(CORPUS)
    assert not hits, f"corpus text committed: {hits[:5]}"
