"""Training, annotation and evaluation helpers (``python -m xhnlp.training.<script>``).

Each script's ``main`` is wrapped by :func:`script`: a data scientist's mistake (a missing file, an
unknown label, a checkpoint that cannot be loaded) ends in one line on stderr and exit code 2.
"""
from __future__ import annotations

import functools
import sys


def script(main):
    """Run ``main``; known errors become one ``error: …`` line and exit code 2."""
    from ..data import CorpusError, DataError
    from ..models import ModelError

    @functools.wraps(main)
    def run(argv=None):
        try:
            return main(argv)
        except (DataError, CorpusError, ModelError) as e:
            print(f"error: {e}", file=sys.stderr)
            raise SystemExit(2) from None
        except OSError as e:
            print(f"error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
            raise SystemExit(2) from None
    return run
