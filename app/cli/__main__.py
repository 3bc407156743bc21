"""``python -m app.cli``: the same as the ``yizhan`` command."""

from app.cli import main

main()
