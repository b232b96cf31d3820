"""`lib`: the models behind the executable book on the economics of frontier AI compute.

Modules: ``units``, ``data`` (load and validate CSVs), ``hardware``, ``models``, ``roofline``,
``claims`` (the ledger), ``charts`` and ``page`` (presentation), ``derivations`` (one module per chapter).
Run ``python -m lib --help`` for the command line.
"""
