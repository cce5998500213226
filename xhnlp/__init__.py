"""xhnlp: tag the sentences of Chinese government work reports with policy area and commitment type."""
__version__ = "0.2.0"

from .tagger import TaggedPiece, Tagger  # noqa: E402,F401
