"""yizhan's surfaces: the ``yizhan`` command line (and, later, the web app)."""
