"""xhnlp: tag the sentences of Chinese government work reports with policy area and commitment type."""
__version__ = "0.1.0"

from .tagger import Tagger, TaggedPiece  # noqa: E402,F401
