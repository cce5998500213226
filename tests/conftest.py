import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "xuhui_2025_main_tasks.txt"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def baseline_tagger():
    from xhnlp import Tagger

    return Tagger.load("baseline")


def tiny_tokenizer_and_config(directory: Path, text: str):
    """A WordPiece tokenizer trained on ``text`` and a 1-layer, 32-wide BertConfig for it."""
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertTokenizer

    corpus = directory / "corpus.txt"
    corpus.write_text(text, encoding="utf-8")
    wp = BertWordPieceTokenizer(handle_chinese_chars=True, lowercase=True)
    wp.train([str(corpus)], vocab_size=2000, min_frequency=1, limit_alphabet=3000,
             special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    corpus.unlink()
    tok = BertTokenizer(vocab=wp.get_vocab())
    config = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=256)
    return tok, config
